import { Worker } from 'node:worker_threads'
import { type Diagnostic, type Locator, parseWorkflowText, WeftError } from '@weft/core'
import { HttpError } from './errors.js'
import type { Logger } from './logger.js'
import { countTasks, locatorOf, type ParseReply, type ParseRequest } from './workflow-lines.js'

export interface ParsedWorkflow {
  value: unknown
  diagnostics: Diagnostic[]
  locate: Locator
  /** Tasks in the document (own keys of `tasks`). */
  tasks: number
}

export interface WorkflowParserOptions {
  /** Texts smaller than this are parsed in the request's thread (faster than a round trip). */
  inlineBelowBytes?: number
  /** A parse that takes longer is abandoned (its worker is restarted). Default 20 s. */
  timeoutMs?: number
  logger: Logger
}

interface Pending {
  resolve(reply: ParseReply & { id: number }): void
  reject(err: unknown): void
  timer: NodeJS.Timeout
}

/**
 * Refuses a parsed workflow that has errors: `workflow_invalid`, the first error in the message
 * (`<what> cannot be read: …`) with its line and hint, every diagnostic attached. Starting a run
 * and scheduling one refuse a workflow the same way; `failure` says which (`cannot be scheduled`).
 */
export function throwIfInvalid(diagnostics: Diagnostic[], what: string, failure: string): void {
  const errors = diagnostics.filter((d) => d.level === 'error')
  if (errors.length === 0) return
  const first = errors[0]!
  throw new WeftError(
    'workflow_invalid',
    `${what} ${failure}: ${first.message}${first.line !== undefined ? ` (line ${first.line})` : ''}`,
    { diagnostics, ...(first.hint ? { hint: first.hint } : {}) },
  )
}

/**
 * Parses workflow text: small documents at once, larger ones on a worker thread, so that a
 * 1 MiB document of 20 000 tasks does not stop the server from answering anything else (the YAML
 * parser needs seconds for it). One worker, started on first use, unreferenced (it never keeps
 * the process alive), restarted after a crash or a timeout.
 */
export class WorkflowParser {
  private worker: Worker | undefined
  private readonly pending = new Map<number, Pending>()
  private nextId = 1
  private readonly inlineBelow: number
  private readonly timeoutMs: number

  constructor(private readonly options: WorkflowParserOptions) {
    this.inlineBelow = options.inlineBelowBytes ?? 32 * 1024
    this.timeoutMs = options.timeoutMs ?? 20_000
  }

  async parse(text: string, file: string | undefined, maxTasks: number): Promise<ParsedWorkflow> {
    if (text.length < this.inlineBelow) {
      const doc = parseWorkflowText(text, file)
      return {
        value: doc.value,
        diagnostics: doc.diagnostics,
        locate: doc.locate,
        tasks: countTasks(doc.value),
      }
    }
    const reply = await this.inWorker({ id: this.nextId++, text, ...(file ? { file } : {}), maxTasks })
    if ('failure' in reply) {
      throw new HttpError('workflow_invalid', `the workflow cannot be parsed: ${reply.failure}`)
    }
    if (!('value' in reply)) throw new Error('unexpected reply from the parse worker')
    return {
      value: reply.value,
      diagnostics: reply.diagnostics,
      locate: locatorOf(reply.lines),
      tasks: reply.tasks ?? countTasks(reply.value),
    }
  }

  /** Ends the worker (pending parses fail). */
  close(): void {
    const w = this.worker
    this.worker = undefined
    this.failAll(new HttpError('unavailable', 'the server is shutting down'))
    void w?.terminate()
  }

  private inWorker(req: ParseRequest): Promise<ParseReply & { id: number }> {
    const worker = this.ensureWorker()
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(req.id)
        reject(
          new HttpError(
            'workflow_too_large',
            `the workflow took longer than ${this.timeoutMs / 1000} s to parse`,
            {
              hint: 'send a smaller workflow',
            },
          ),
        )
        // The worker is stuck on it: start over (the others waiting behind it fail too).
        this.restart(new HttpError('unavailable', 'the workflow parser was restarted', { hint: 'retry' }))
      }, this.timeoutMs)
      timer.unref()
      this.pending.set(req.id, { resolve, reject, timer })
      worker.postMessage(req)
    })
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker
    const worker = spawnParseWorker()
    worker.unref()
    worker.on('message', (reply: ParseReply) => {
      if ('warning' in reply) {
        this.options.logger.warn({ warning: reply.warning }, 'workflow parser warning')
        return
      }
      const p = this.pending.get(reply.id)
      if (!p) return
      this.pending.delete(reply.id)
      clearTimeout(p.timer)
      p.resolve(reply)
    })
    worker.on('error', (err) => {
      this.options.logger.error({ err: { message: err.message } }, 'the workflow parse worker failed')
      if (this.worker === worker)
        this.restart(new HttpError('unavailable', 'the workflow parser failed; retry'))
    })
    worker.on('exit', () => {
      if (this.worker === worker)
        this.restart(new HttpError('unavailable', 'the workflow parser stopped; retry'))
    })
    this.worker = worker
    return worker
  }

  private restart(reason: HttpError): void {
    const w = this.worker
    this.worker = undefined
    this.failAll(reason)
    void w?.terminate()
  }

  private failAll(reason: unknown): void {
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer)
      this.pending.delete(id)
      p.reject(reason)
    }
  }
}

/**
 * The built worker next to this file; from sources (tests, `--conditions=development`), the `.ts`
 * file through tsx with the same resolution of workspace packages.
 */
function spawnParseWorker(): Worker {
  if (import.meta.url.endsWith('.ts')) {
    const file = new URL('./parse-worker.ts', import.meta.url).href
    return new Worker(
      `import { register } from 'tsx/esm/api'; register(); await import(${JSON.stringify(file)})`,
      { eval: true, execArgv: ['--conditions=development'] },
    )
  }
  return new Worker(new URL('./parse-worker.js', import.meta.url))
}
