export { type ApiKey, bearerToken, type Principal } from './auth.js'
export { HttpError, toErrorAnswer } from './errors.js'
export { createStderrLogger, type Logger, silentLogger } from './logger.js'
export {
  createServerMetrics,
  instrumentStore,
  type ServerMetrics,
  type ServerMetricsOptions,
} from './metrics.js'
export { createServer, type ListenOptions, type ServerOptions, type WeftServer } from './server.js'
export { parseTimeParam } from './time.js'
