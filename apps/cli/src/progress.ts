import {
  type RunSummary,
  runStatusOfEndEvent,
  type TaskState,
  type TaskStatus,
  type WeftEvent,
} from '@weft/core'
import { createLogUpdate } from 'log-update'
import type { Colors } from './colors.js'
import { formatEventLine } from './event-line.js'
import { formatDuration, RUN_SYMBOLS, shortValue, statusColor, TASK_SYMBOLS, truncate } from './format.js'
import type { OutStream } from './io.js'

/**
 * How a run's progress is shown: `live` redraws one block (a header and a line per task) on a
 * terminal; `lines` prints a line per event, for pipes, CI logs and files; `off` shows nothing.
 */
export type ProgressMode = 'live' | 'lines' | 'off'

export interface Progress {
  /** Seeds the view with the run as it is now (on resume, tasks that already finished). */
  begin(run: RunSummary, tasks: TaskState[]): void
  event(e: WeftEvent): void
  /** A message from the CLI itself, e.g. "canceling…". */
  note(text: string): void
  /** Stops redrawing and clears the live block, so that the summary follows cleanly. */
  end(): void
  /** It shows the text a running task streams (`agent.delta`): ask for the deltas. */
  readonly showsText: boolean
}

export interface ProgressOptions {
  out: OutStream
  colors: Colors
}

export function pickProgressMode(options: { out: OutStream; json?: boolean; quiet?: boolean }): ProgressMode {
  if (options.json || options.quiet) return 'off'
  // A pseudo-terminal without a size (some CI runners, `script`) cannot hold a redrawn block.
  const sized = (options.out.rows ?? 0) > 0 && (options.out.columns ?? 0) > 0
  return options.out.isTTY && sized ? 'live' : 'lines'
}

export function createProgress(mode: ProgressMode, options: ProgressOptions): Progress {
  if (mode === 'live') return new LiveProgress(options)
  if (mode === 'lines') return new LineProgress(options)
  return { begin() {}, event() {}, note() {}, end() {}, showsText: false }
}

class LineProgress implements Progress {
  // One line per event: streamed text would be a line per fragment.
  readonly showsText = false
  constructor(private readonly o: ProgressOptions) {}
  begin(): void {}
  event(e: WeftEvent): void {
    const line = formatEventLine(e, this.o.colors)
    if (line) this.o.out.write(`${line}\n`)
  }
  note(text: string): void {
    this.o.out.write(`${this.o.colors.yellow(text)}\n`)
  }
  end(): void {}
}

interface Row {
  id: string
  status: TaskStatus
  attempt: number
  backend?: string
  startedMs?: number
  endedMs?: number
  detail: string
  /** The end of the text the running attempt streams, shown under its line. */
  streamed?: string
}

/** Characters of streamed text kept per running task (the screen shows its last line). */
const STREAM_TAIL = 400

/** Events worth keeping on screen after the block redraws (the block shows only the latest state). */
const PERSISTED = new Set<WeftEvent['type']>([
  'task.failed',
  'task.retry_scheduled',
  'task.waiting',
  'diagnostic',
  'run.canceling',
  // What a failed or canceled run undid, one line each (compensate:).
  'run.compensating',
  'compensation.succeeded',
  'compensation.failed',
  'compensation.canceled',
])

class LiveProgress implements Progress {
  readonly showsText = true
  private readonly log: ReturnType<typeof createLogUpdate>
  private readonly rows = new Map<string, Row>()
  private runId = ''
  private name = ''
  private status: RunSummary['status'] = 'pending'
  private startedMs = Date.now()
  private endedMs?: number
  private timer?: NodeJS.Timeout
  private scheduled = false
  private notes: string[] = []

  constructor(private readonly o: ProgressOptions) {
    this.log = createLogUpdate(o.out as NodeJS.WriteStream)
  }

  begin(run: RunSummary, tasks: TaskState[]): void {
    this.runId = run.id
    this.name = run.name
    this.status = run.status
    this.startedMs = Date.parse(run.startedAt ?? run.createdAt)
    for (const t of [...tasks].sort((a, b) => a.order - b.order)) {
      this.rows.set(t.taskId, {
        id: t.taskId,
        status: t.status,
        attempt: t.attempt,
        ...(t.backend ? { backend: t.backend } : {}),
        ...(t.startedAt ? { startedMs: Date.parse(t.startedAt) } : {}),
        ...(t.completedAt ? { endedMs: Date.parse(t.completedAt) } : {}),
        detail: '',
      })
    }
    // Redraw for the elapsed times even when no event arrives.
    this.timer = setInterval(() => this.render(), 250)
    this.timer.unref()
    this.render()
  }

  event(e: WeftEvent): void {
    this.apply(e)
    if (PERSISTED.has(e.type) || (e.type === 'log' && (e.severity === 'warn' || e.severity === 'error'))) {
      const line = formatEventLine(e, this.o.colors)
      if (line) this.print(line)
    }
    this.schedule()
  }

  note(text: string): void {
    this.notes.push(text)
    this.render()
  }

  end(): void {
    if (this.timer) clearInterval(this.timer)
    this.timer = undefined
    this.log.clear()
  }

  private apply(e: WeftEvent): void {
    const ts = Date.parse(e.ts)
    const row = e.taskId ? this.row(e.taskId) : undefined
    switch (e.type) {
      case 'run.created':
        this.runId = e.runId
        this.name = e.data.name
        break
      case 'run.started':
        this.status = 'running'
        this.startedMs = ts
        break
      case 'run.paused':
        this.status = 'paused'
        break
      case 'run.resumed':
        this.status = 'running'
        break
      case 'run.canceling':
        this.status = 'canceling'
        break
      case 'run.succeeded':
      case 'run.failed':
      case 'run.canceled':
        // The status each end event means has one definition, in @weft/spec.
        this.status = runStatusOfEndEvent(e.type) ?? this.status
        this.endedMs = ts
        break
      case 'task.added':
        if (row && e.data.backend) row.backend = e.data.backend
        break
      case 'task.queued':
        if (row) row.status = 'queued'
        break
      case 'task.mapped':
        if (row) {
          row.status = 'running'
          row.startedMs = ts
          row.detail = `${e.data.items} item${e.data.items === 1 ? '' : 's'}`
        }
        break
      case 'task.started':
        if (row) {
          row.status = 'running'
          row.attempt = e.attempt ?? row.attempt + 1
          row.startedMs = ts
          delete row.endedMs
          row.detail = ''
          delete row.streamed
        }
        break
      case 'task.retry_scheduled':
        if (row) {
          row.status = 'retrying'
          row.detail = `retry in ${formatDuration(e.data.delayMs)}: ${e.data.error.message}`
        }
        break
      case 'task.waiting':
        if (row) {
          row.status = 'waiting'
          row.startedMs = ts
          row.detail = e.data.message
        }
        break
      case 'task.succeeded':
        if (row) {
          row.status = 'succeeded'
          row.endedMs = ts
          row.detail = shortValue(e.data.output, 200)
        }
        break
      case 'task.failed':
        if (row) {
          row.status = 'failed'
          row.endedMs = ts
          row.detail = e.data.error.message
        }
        break
      case 'task.canceled':
      case 'task.skipped':
        if (row) {
          row.status = e.type === 'task.canceled' ? 'canceled' : 'skipped'
          row.endedMs = ts
          row.detail = e.data.reason
        }
        break
      case 'agent.message':
        if (row && row.status === 'running') row.detail = e.data.text
        break
      case 'agent.delta':
        if (row && row.status === 'running')
          row.streamed = `${row.streamed ?? ''}${e.data.text}`.slice(-STREAM_TAIL)
        break
      case 'tool.started':
        if (row && row.status === 'running') row.detail = `tool ${e.data.name}`
        break
      default:
        break
    }
  }

  private row(id: string): Row {
    let row = this.rows.get(id)
    if (!row) {
      row = { id, status: 'pending', attempt: 0, detail: '' }
      this.rows.set(id, row)
    }
    return row
  }

  private print(line: string): void {
    this.log.clear()
    this.o.out.write(`${line}\n`)
    this.render()
  }

  /** Many events arrive together: draw once for all of them. */
  private schedule(): void {
    if (this.scheduled) return
    this.scheduled = true
    setTimeout(() => {
      this.scheduled = false
      this.render()
    }, 30).unref()
  }

  private render(): void {
    const c = this.o.colors
    const width = Math.max(40, (this.o.out.columns ?? 100) - 1)
    const maxRows = Math.max(3, (this.o.out.rows ?? 40) - 4 - this.notes.length)
    const now = Date.now()
    const rows = [...this.rows.values()]
    const done = rows.filter((r) => ['succeeded', 'failed', 'canceled', 'skipped'].includes(r.status)).length
    const paint = statusColor(c, this.status)
    const elapsed = formatDuration((this.endedMs ?? now) - this.startedMs)
    const lines = [
      `${paint(`${RUN_SYMBOLS[this.status]} ${this.name}`)} ${c.dim(this.runId)}  ${paint(this.status)}  ${done}/${rows.length} done  ${c.dim(elapsed)}`,
    ]
    const idWidth = Math.min(32, Math.max(4, ...rows.map((r) => r.id.length)))
    // Running and recently active tasks matter most when the list does not fit the screen.
    const shown =
      rows.length > maxRows
        ? rows.filter((r) => r.status !== 'pending' && r.status !== 'succeeded').slice(0, maxRows)
        : rows
    for (const r of shown) {
      const dur = r.startedMs !== undefined ? formatDuration((r.endedMs ?? now) - r.startedMs) : ''
      const head = `  ${TASK_SYMBOLS[r.status]} ${truncate(r.id, idWidth).padEnd(idWidth)}  ${r.status.padEnd(9)}`
      const tail = `  ${(r.attempt > 0 ? `#${r.attempt}` : '').padEnd(3)}  ${dur.padStart(7)}  `
      const detail = truncate(r.detail.replace(/\s+/g, ' '), Math.max(0, width - head.length - tail.length))
      lines.push(
        `${statusColor(c, r.status)(head)}${tail}${r.status === 'failed' ? c.red(detail) : c.dim(detail)}`,
      )
      // A running task's streamed text: its last line, under the task's own.
      if (r.status === 'running' && r.streamed) {
        const last =
          r.streamed
            .split('\n')
            .filter((l) => l.trim() !== '')
            .at(-1) ?? ''
        lines.push(c.dim(`      ${truncate(last.trim(), Math.max(0, width - 6))}`))
      }
    }
    if (shown.length < rows.length) lines.push(c.dim(`  … ${rows.length - shown.length} more tasks`))
    for (const n of this.notes) lines.push(c.yellow(n))
    this.log(lines.join('\n'))
  }
}
