export { abortError, sleep, untilAborted } from './abort.js'
export { attemptEmitter, attemptKey } from './attempt.js'
export { beginCliAttempt, type CliAttemptSetup } from './cli-attempt.js'
export { type FindExecutableOptions, type FoundExecutable, findExecutable } from './executable.js'
export {
  AGENT_CLI_CAPABILITIES,
  AGENT_CLI_RETRY,
  type ApiKeySources,
  apiKeyOf,
  connectionFailure,
  errorForStatus,
  type HttpBackendOptions,
  MODEL_API_CAPABILITIES,
  MODEL_API_RETRY,
  networkError,
  parseJson,
  postSse,
  reachable,
  readErrorBody,
  responseDetails,
  type SseRequest,
  type StatusErrorOptions,
  toolInputOf,
} from './http.js'
export {
  beginModelAttempt,
  type ModelApiDefaults,
  type ModelApiSettings,
  type ModelApiTaskOptions,
  type ModelAttemptSetup,
  modelApiSettings,
  replayStub,
} from './model-api.js'
export { createModelApiBackend, type ModelApiBackendSetup, type ModelApiCall } from './model-api-backend.js'
export { describeIssues, envVarName, flag, numeric, parseOptions } from './options.js'
export { type TailOptions, tail } from './output.js'
export { promptOf } from './prompt.js'
export { type EventSourceMessage, readSse, replaySse } from './sse.js'
export { type SubprocessErrorOptions, type SubprocessOutcome, subprocessError } from './subprocess.js'
export { traceEnv, traceHeaders } from './trace.js'
export { workingDirectory } from './work-dir.js'
