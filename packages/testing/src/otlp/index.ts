export { type OtlpReceiver, startOtlpReceiver } from './receiver.js'
export { renderTraceSvg, renderTraceText, spanTree } from './render.js'
export type { ReceivedMetricPoint, ReceivedSpan, SpanStatus } from './types.js'
