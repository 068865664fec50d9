export { createMockBackend, type MockBackendOptions } from './mock-backend.js'
export {
  type MockEvent,
  MockEventSchema,
  type MockOptions,
  MockOptionsSchema,
  type MockUsage,
  MockUsageSchema,
} from './options.js'
export { plugin } from './plugin.js'
