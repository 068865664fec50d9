export type { AgentsClient } from './agents.js'
export {
  type CallOptions,
  type ClientOptions,
  createClient,
  type RunEventsPageQuery,
  type StartRunOptions,
  type WaitOptions,
  type WeftClient,
} from './client.js'
export type { DataflowClient } from './dataflow.js'
export {
  type ClientErrorCode,
  isWeftApiError,
  isWeftConnectionError,
  WeftApiError,
  type WeftApiErrorInit,
  WeftConnectionError,
} from './errors.js'
export type { QueueClient } from './queue.js'
export type { SchedulesClient } from './schedules.js'
export type { StreamOptions } from './sse.js'
export type { TasksClient } from './tasks.js'
export type { FetchLike } from './transport.js'
export {
  type DataflowWsMessage,
  type SubscribeOptions,
  type WebSocketConstructor,
  type WebSocketLike,
  WeftSession,
} from './ws.js'
