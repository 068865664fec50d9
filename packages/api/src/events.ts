import { EventTypeSchema, SeveritySchema, WeftEventSchema } from '@weft/core/contracts'
import { z } from 'zod'
import { csv } from './runs.js'

/** An event type, or a family such as `task.*`. */
export const EventTypePatternSchema = z.union([
  EventTypeSchema,
  z.enum(['run.*', 'task.*', 'agent.*', 'tool.*', 'usage.*', 'budget.*', 'context.*']),
])

/** `GET /runs/{id}/events`: one page of a run's log, in seq order. */
export const RunEventsQuerySchema = z.strictObject({
  /** Only events with a greater seq. */
  after: z.coerce.number().int().nonnegative().default(0),
  limit: z.coerce.number().int().min(1).max(5000).default(500),
  type: csv(EventTypePatternSchema).optional(),
  task: z.string().min(1).optional(),
  severity: csv(SeveritySchema).optional(),
})
export type RunEventsQuery = z.input<typeof RunEventsQuerySchema>

export const EventPageSchema = z.object({
  items: z.array(WeftEventSchema),
  /** Pass as `after` for the next page; absent when the page reached the end of the log. */
  nextAfter: z.number().int().optional(),
  /** The run's last seq when the page was read. */
  lastSeq: z.number().int(),
})
export type EventPage = z.infer<typeof EventPageSchema>

/** Which events `GET /events` lists and `GET /events/export` streams: the same filters for both. */
const EventFilterFields = {
  run: z.string().min(1).optional(),
  type: csv(EventTypePatternSchema).optional(),
  task: z.string().min(1).optional(),
  severity: csv(SeveritySchema).optional(),
  /** ISO 8601, or a duration back from now (`30m`, `2h`, `7d`). Inclusive. */
  since: z.string().min(1).optional(),
  /** ISO 8601, or a duration back from now. Exclusive. */
  until: z.string().min(1).optional(),
}

/** `GET /events`: events of every run, ordered by time, then run, then seq. */
export const QueryEventsSchema = z.strictObject({
  ...EventFilterFields,
  limit: z.coerce.number().int().min(1).max(5000).default(500),
})
export type QueryEvents = z.input<typeof QueryEventsSchema>

export const EventListSchema = z.object({ items: z.array(WeftEventSchema) })
export type EventList = z.infer<typeof EventListSchema>

/** `GET /events/export`: streamed in the chosen format. */
export const ExportEventsQuerySchema = z.strictObject({
  format: z.enum(['jsonl', 'csv', 'json']).default('jsonl'),
  ...EventFilterFields,
})
export type ExportEventsQuery = z.input<typeof ExportEventsQuerySchema>

export const EXPORT_CONTENT_TYPES = {
  jsonl: 'application/x-ndjson',
  csv: 'text/csv; charset=utf-8',
  json: 'application/json',
} as const
