export { FORMAT_VERSION } from './format.js'
export { createFsStore, type FsStoreOptions } from './fs-store.js'
export { plugin } from './plugin.js'
export type { RepairReport } from './repair.js'
