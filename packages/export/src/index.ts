export {
  EVENT_RECORD_FIELDS,
  type EventRecord,
  EXPORT_FORMATS,
  type ExportEventsOptions,
  type ExportEventsResult,
  type ExportFormat,
  exportEvents,
  toEventRecord,
} from './export-events.js'
