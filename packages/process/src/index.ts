export { abortError } from './abort.js'
export {
  type ProcessIdentity,
  type ProcStat,
  processLiveness,
  processStartTime,
  readProcStat,
  selfIdentity,
} from './identity.js'
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
  GroupRuns,
  releasingOnThrow,
  type Supervised,
  type SupervisedSubprocess,
  type SuperviseOptions,
} from './runs.js'
