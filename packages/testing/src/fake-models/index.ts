export { startFakeModelServer } from './server.js'
export type {
  FakeFormat,
  FakeModelServer,
  FakeModelServerOptions,
  FakeReply,
  FakeUsage,
  RecordedRequest,
} from './types.js'
