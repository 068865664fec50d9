/**
 * Requests from other processes: a `weft runs cancel` (or a server) that does not run a run writes
 * a signal to the store, and the process that runs it picks it up here and applies it. A store
 * without signals has nothing to poll.
 */
import { hasCapability, type Json, type Store } from '@weft/spec'
import type { RunRegistry } from './registry.js'

export class SignalInbox {
  #cursor = 0
  #polling = false
  #stopped = false
  readonly #timer: NodeJS.Timeout

  constructor(
    private readonly store: Store,
    private readonly registry: RunRegistry,
    private readonly ready: () => Promise<void>,
    private readonly warn: (message: string, context?: unknown) => void,
    pollMs: number,
  ) {
    this.#timer = setInterval(() => void this.poll(), pollMs)
    this.#timer.unref()
  }

  /** Signals sent before this process opened the store are not for it. */
  async init(): Promise<void> {
    if (hasCapability(this.store, 'signals')) this.#cursor = await this.store.signals.lastId()
  }

  stop(): void {
    this.#stopped = true
    clearInterval(this.#timer)
  }

  async poll(): Promise<void> {
    const inbox = hasCapability(this.store, 'signals') ? this.store.signals : undefined
    if (!inbox || this.#polling || this.#stopped || this.registry.size === 0) return
    this.#polling = true
    try {
      await this.ready()
      const signals = await inbox.receive(this.registry.ids(), this.#cursor)
      for (const s of signals) {
        this.#cursor = Math.max(this.#cursor, s.id)
        const exec = this.registry.get(s.runId)
        if (!exec) continue
        try {
          if (s.kind === 'cancel')
            await exec.cancel(typeof s.data === 'string' ? s.data : 'canceled from another process')
          else if (s.kind === 'cancel_task') {
            const d = (s.data ?? {}) as { taskId?: string; reason?: string }
            if (typeof d.taskId === 'string')
              await exec.cancelTask(d.taskId, d.reason ?? 'canceled from another process')
          } else if (s.kind === 'pause') await exec.pause()
          else if (s.kind === 'resume')
            await exec.resume({
              ...((s.data ?? {}) as { token?: string; input?: Json }),
              via: `signal:${s.id}`,
            })
        } catch (err) {
          this.warn(`could not apply ${s.kind} to run ${s.runId}: ${(err as Error).message}`, err)
        }
      }
    } catch (err) {
      if (!this.#stopped) this.warn(`reading signals failed: ${(err as Error).message}`, err)
    } finally {
      this.#polling = false
    }
  }
}
