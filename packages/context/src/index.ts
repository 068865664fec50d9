export { ContextError, type ContextErrorCode } from './context-error.js'
export { type ContextPipelineOptions, createContextPipeline, INPUTS_LABEL } from './context-pipeline.js'
export {
  type CountTokens,
  type CutMode,
  type CutNote,
  type CutOptions,
  type CutResult,
  type CutSection,
  cutText,
  defaultCutNote,
} from './cut-text.js'
export { dropOrder } from './drop-oldest.js'
export { type RoutedOutputs, routeOutputs, type SkippedSource, type UpstreamTask } from './route-outputs.js'
export { valueToText } from './sections.js'
export { formatPath, type PathSegment, parsePath, type SelectPathOptions, selectPath } from './select-path.js'
