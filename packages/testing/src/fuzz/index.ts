export { type DeepMarker, deep, toJsonText, toObject, toYamlText } from './emit.js'
export {
  arbitraryMalformedWorkflow,
  fuzzSettings,
  type MalformedWorkflowCase,
  PROTOTYPE_NAMES,
} from './malformed-workflow.js'
