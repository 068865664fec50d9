export { assertTimezone, CRON_EXAMPLES, type CronTimes, parseCron } from './cron.js'
export {
  defineSchedule,
  newScheduleId,
  requireSchedules,
  type ScheduleDraft,
  scheduleLabel,
} from './define.js'
export { type FolderSyncResult, folderScheduleId, syncFolderSchedules } from './folder.js'
export { type ScheduleRunner, type ScheduleRunnerOptions, startScheduleRunner } from './runner.js'
