import { setTimeout as sleep } from 'node:timers/promises'
import { BACKEND_SPECIFICATION_VERSION, type Backend, BackendError } from '@weft/spec'
import { z } from 'zod'

/** Options under a task's `with:`. Validated by weft before the task runs. */
export const EchoOptionsSchema = z.strictObject({
  /** Upper-case the echo. */
  upper: z.boolean().default(false),
  /** Repeat it this many times. */
  times: z.number().int().min(1).max(100).default(1),
  /** Wait this long first (abortable), like a slow API would. */
  delayMs: z.number().int().min(0).default(0),
})

/**
 * The smallest honest backend: it returns the task's prompt, reports no usage, and stops when
 * its signal aborts. Everything a third-party backend needs is here.
 */
export function createEchoBackend(): Backend {
  return {
    specificationVersion: BACKEND_SPECIFICATION_VERSION,
    id: 'echo',
    label: 'Echo (example third-party backend)',
    capabilities: {
      streaming: false,
      events: true,
      cancel: true,
      pause: false,
      resumeSession: false,
      usage: false,
      tools: false,
    },
    optionsSchema: EchoOptionsSchema,
    async execute(request, ctx) {
      if (ctx.signal.aborted) throw new BackendError('canceled', 'canceled before it started')
      const { upper, times, delayMs } = EchoOptionsSchema.parse(request.options)
      if (delayMs > 0) {
        try {
          await sleep(delayMs, undefined, { signal: ctx.signal })
        } catch {
          throw new BackendError('canceled', 'canceled while waiting')
        }
      }
      if (request.prompt === undefined) {
        throw new BackendError('bad_options', `task '${request.taskId}' has no prompt to echo`, {
          retryable: false,
          hint: 'give the task a `prompt:`',
        })
      }
      const once = upper ? request.prompt.toUpperCase() : request.prompt
      const text = Array.from({ length: times }, () => once).join(' ')
      ctx.emit({ type: 'message', role: 'assistant', text })
      return { output: text }
    },
    async healthcheck() {
      return { ok: true, details: 'needs nothing' }
    },
  }
}
