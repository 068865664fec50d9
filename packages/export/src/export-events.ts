import { type EventType, type Severity, type Store, WeftError, type WeftEvent } from '@weft/spec'
import { stringify as stringifyCsv } from 'csv-stringify/sync'

export const EXPORT_FORMATS = ['jsonl', 'csv', 'json'] as const
export type ExportFormat = (typeof EXPORT_FORMATS)[number]

/** The columns of the CSV export, and the keys (in this order) of every JSONL / JSON record. */
export const EVENT_RECORD_FIELDS = [
  'runId',
  'seq',
  'ts',
  'type',
  'taskId',
  'attempt',
  'severity',
  'data',
] as const

/**
 * An event as exports write it: every record has every key, absent ones as `null`, so that `jq`,
 * spreadsheets and scripts never need to test whether a key exists.
 */
export interface EventRecord {
  runId: string
  seq: number
  ts: string
  type: EventType
  taskId: string | null
  attempt: number | null
  severity: Severity
  data: Record<string, unknown>
}

export function toEventRecord(e: WeftEvent): EventRecord {
  return {
    runId: e.runId,
    seq: e.seq,
    ts: e.ts,
    type: e.type,
    taskId: e.taskId ?? null,
    attempt: e.attempt ?? null,
    severity: e.severity,
    data: e.data as Record<string, unknown>,
  }
}

export interface ExportEventsOptions {
  /** One run; without it, every run of the store, newest run first, each in seq order. */
  runId?: string
  /** Only these types. */
  types?: EventType[]
  taskId?: string
  severities?: Severity[]
  /** ISO time, inclusive. */
  since?: string
  /** ISO time, exclusive. */
  until?: string
  /** Events read from the store per page (default 1000): what memory holds at once. */
  pageSize?: number
  /** Runs listed per page when exporting every run (default 100). */
  runPageSize?: number
  /** Stops between pages (the promise rejects with the signal's reason). */
  signal?: AbortSignal
}

export interface ExportEventsResult {
  /** Events written. */
  events: number
  /** Runs whose events were read. */
  runs: number
}

/**
 * Streams events from a store to `out` as JSONL, CSV or a JSON array, one page at a time: a page
 * is read, written, and the next is read only once `out` has taken it (`drain` when `write`
 * returns false), so memory stays bounded by the page size, whatever the size of the log.
 *
 * Each run's events come in seq order, read with `events.read` after the last seq written (so a
 * run that is still writing is exported up to where the export finds its end). Without `runId`,
 * runs come newest first, paged with the cursor of `runs.list`: that is the order `runs.list`
 * pages in, and runs created after the export started are not included. Filters are applied to
 * each page as it is read, because `events.query` has no cursor to page with.
 *
 * `out` is not ended: the caller owns it (it may be stdout).
 */
export async function exportEvents(
  store: Store,
  options: ExportEventsOptions,
  format: ExportFormat,
  out: NodeJS.WritableStream,
): Promise<ExportEventsResult> {
  if (!(EXPORT_FORMATS as readonly string[]).includes(format)) {
    throw new WeftError('input_invalid', `'${format}' is not an export format`, {
      hint: `use one of: ${EXPORT_FORMATS.join(', ')}`,
    })
  }
  if (options.runId && !(await store.runs.get(options.runId))) {
    throw new WeftError('run_not_found', `there is no run '${options.runId}' in ${store.id}`)
  }
  const pageSize = options.pageSize ?? 1000
  const writer = new ChunkWriter(out)
  const encode = encoder(format)
  const matches = filter(options)
  let events = 0
  let runs = 0

  const exportRun = async (runId: string) => {
    runs++
    let afterSeq = 0
    for (;;) {
      options.signal?.throwIfAborted()
      const page = await store.events.read(runId, { afterSeq, limit: pageSize })
      if (page.length === 0) break
      afterSeq = page[page.length - 1]!.seq
      const records = page.filter(matches).map(toEventRecord)
      if (records.length > 0) {
        await writer.write(encode.page(records, events === 0))
        events += records.length
      }
      if (page.length < pageSize) break
    }
  }

  try {
    await writer.write(encode.start)
    if (options.runId) {
      await exportRun(options.runId)
    } else {
      let cursor: string | undefined
      do {
        options.signal?.throwIfAborted()
        const page = await store.runs.list({
          limit: options.runPageSize ?? 100,
          ...(cursor ? { cursor } : {}),
        })
        for (const run of page.items) await exportRun(run.id)
        cursor = page.nextCursor
      } while (cursor)
    }
    await writer.write(encode.end(events))
  } finally {
    writer.dispose()
  }
  return { events, runs }
}

interface Encoder {
  start: string
  page(records: EventRecord[], first: boolean): string
  end(count: number): string
}

function encoder(format: ExportFormat): Encoder {
  switch (format) {
    case 'jsonl':
      return {
        start: '',
        page: (records) => `${records.map((r) => JSON.stringify(r)).join('\n')}\n`,
        end: () => '',
      }
    case 'json':
      // One element per line: still one valid JSON array, written as it goes.
      return {
        start: '[',
        page: (records, first) =>
          `${first ? '\n' : ',\n'}${records.map((r) => JSON.stringify(r)).join(',\n')}`,
        end: (count) => (count === 0 ? ']\n' : '\n]\n'),
      }
    case 'csv':
      // RFC 4180: CRLF between records, fields quoted when they hold a comma, a quote or a line
      // break, quotes doubled. csv-stringify does the quoting; `data` is compact JSON in one field.
      return {
        start: csvRows([[...EVENT_RECORD_FIELDS]]),
        page: (records) =>
          csvRows(
            records.map((r) => [
              r.runId,
              r.seq,
              r.ts,
              r.type,
              r.taskId,
              r.attempt,
              r.severity,
              JSON.stringify(r.data),
            ]),
          ),
        end: () => '',
      }
  }
}

function csvRows(rows: unknown[][]): string {
  return stringifyCsv(rows, { record_delimiter: 'windows' })
}

function filter(o: ExportEventsOptions): (e: WeftEvent) => boolean {
  const types = o.types?.length ? new Set<string>(o.types) : undefined
  const severities = o.severities?.length ? new Set<string>(o.severities) : undefined
  return (e) =>
    (!types || types.has(e.type)) &&
    (!o.taskId || e.taskId === o.taskId) &&
    (!severities || severities.has(e.severity)) &&
    (!o.since || e.ts >= o.since) &&
    (!o.until || e.ts < o.until)
}

/**
 * Writes with backpressure: when `write` returns false the stream's buffer is full, and the next
 * chunk waits for `drain`. An error the stream emits at any time fails the next (or pending) write
 * instead of going unhandled.
 */
class ChunkWriter {
  private error: unknown
  private readonly onError = (err: unknown) => {
    this.error ??= err
  }

  constructor(private readonly out: NodeJS.WritableStream) {
    out.on('error', this.onError)
  }

  async write(chunk: string): Promise<void> {
    if (this.error) throw this.error
    if (chunk === '') return
    if (this.out.write(chunk)) return
    await new Promise<void>((resolve, reject) => {
      const done = (err?: unknown) => {
        this.out.off('drain', onDrain)
        this.out.off('error', onFail)
        this.out.off('close', onClose)
        if (err) reject(err)
        else resolve()
      }
      const onDrain = () => done()
      const onFail = (err: unknown) => done(err)
      const onClose = () => done(new Error('the output closed before all events were written'))
      this.out.on('drain', onDrain)
      this.out.on('error', onFail)
      this.out.on('close', onClose)
    })
  }

  dispose(): void {
    this.out.off('error', this.onError)
  }
}
