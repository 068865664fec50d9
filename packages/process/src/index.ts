export { abortError } from './abort.js'
export {
  type ProcessIdentity,
  type ProcStat,
  processLiveness,
  processStartTime,
  readProcStat,
  selfIdentity,
} from './identity.js'
export { eachLine } from './lines.js'
export {
  descendants,
  groupExists,
  holdExitCleanup,
  signalGroup,
  terminateGroup,
  terminateTree,
  trackGroup,
  untrackGroup,
} from './process-tree.js'
export {
  type EndGroupOutcome,
  endRecordedGroup,
  type RecordedGroup,
  recordedGroupState,
} from './recorded-group.js'
export {
  DETACHED_SPAWN,
  GroupRuns,
  type RunOptions,
  releasingOnThrow,
  type Supervised,
  type SupervisedSubprocess,
  type SuperviseOptions,
} from './runs.js'
