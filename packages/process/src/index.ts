export { abortError } from './abort.js'
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
  GroupRuns,
  releasingOnThrow,
  type Supervised,
  type SupervisedSubprocess,
  type SuperviseOptions,
} from './runs.js'
