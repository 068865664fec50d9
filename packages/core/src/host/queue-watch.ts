/**
 * The durable queue flag, as this process honours it. The flag lives in the store
 * (`store.queue`), so a `weft queue pause` from any process (or a server, or a worker's host)
 * stops dispatch everywhere: each runtime reads it when its store opens and then every
 * `pollMs`, and mirrors it into its slot pool, which hands out no slot while paused. Attempts
 * already running keep their slots and finish. A store without the flag keeps the old,
 * process-local pause.
 */
import { type QueueState, type QueueStore, queueStoreOf, type Store } from '@weft/spec'
import type { SlotPool } from '../runtime/concurrency.js'

export class QueueWatch {
  readonly #queue: QueueStore | undefined
  #state: QueueState = { paused: false }
  #timer: NodeJS.Timeout | undefined
  #polling = false
  #stopped = false
  /** Bumped by every `set`: a read that began before a write must not undo it. */
  #generation = 0
  /** Writes in flight: a read meanwhile may predate them, so it is not applied. */
  #writing = 0

  constructor(
    store: Store,
    private readonly slots: SlotPool,
    /** Called when dispatch may continue (the queue resumed): every run re-examines its ready tasks. */
    private readonly resumed: () => void,
    private readonly warn: (message: string, context?: unknown) => void,
    private readonly pollMs: number,
    /** Whether this runtime has unfinished runs (that wait for the queue while it is paused). */
    private readonly busy: () => boolean = () => false,
  ) {
    this.#queue = queueStoreOf(store)
  }

  /** Whether the flag is durable (kept in the store) or only this process's. */
  get durable(): boolean {
    return this.#queue !== undefined
  }

  get state(): QueueState {
    return { ...this.#state, paused: this.slots.paused }
  }

  /** Reads the flag once the store is open, then keeps reading it. */
  async init(): Promise<void> {
    if (!this.#queue || this.#stopped) return
    await this.refresh()
    this.#timer ??= setInterval(() => void this.poll(), this.pollMs)
    this.#timer.unref()
  }

  stop(): void {
    this.#stopped = true
    if (this.#timer) clearInterval(this.#timer)
  }

  /** Pauses or resumes dispatch: in the store when it keeps the flag (every process follows), here too. */
  async set(
    paused: boolean,
    change: { reason?: string; by?: string } = {},
    /** Opens the store; awaited after the local change, before the write. */
    ready: () => Promise<void> = async () => {},
  ): Promise<QueueState> {
    const generation = ++this.#generation
    // Applied here at once (a caller that does not wait for the store is already obeyed), then
    // written; the store's answer is the truth (another process may have changed it meanwhile).
    this.apply({
      ...(this.slots.paused === paused ? this.#state : {}),
      paused,
      ...(paused && change.reason !== undefined ? { reason: change.reason } : {}),
      ...(change.by !== undefined ? { by: change.by } : {}),
      changedAt: new Date().toISOString(),
    })
    if (this.#queue) {
      this.#writing++
      try {
        await ready()
        const { state } = await this.#queue.set({ paused, ...change })
        if (generation === this.#generation) this.apply(state)
      } finally {
        this.#writing--
      }
    }
    return this.state
  }

  /** Reads the flag from the store now (e.g. before dispatching a new run's first tasks). */
  async refresh(): Promise<QueueState> {
    if (!this.#queue) return this.state
    const generation = this.#generation
    const state = await this.#queue.get()
    if (generation === this.#generation && this.#writing === 0) this.apply(state)
    return this.state
  }

  private async poll(): Promise<void> {
    if (this.#polling || this.#stopped) return
    this.#polling = true
    try {
      await this.refresh()
      this.keepAlive()
    } catch (err) {
      if (!this.#stopped) this.warn(`reading the queue flag failed: ${(err as Error).message}`, err)
    } finally {
      this.#polling = false
    }
  }

  /**
   * While paused with runs waiting, the poll is what will see the resume: it keeps the process
   * alive then (nothing else may be pending). Otherwise it never holds a process open.
   */
  keepAlive(): void {
    if (this.slots.paused && this.busy()) this.#timer?.ref()
    else this.#timer?.unref()
  }

  private apply(state: QueueState): void {
    const was = this.slots.paused
    this.#state = state
    this.slots.paused = state.paused
    this.keepAlive()
    if (was && !state.paused) this.resumed()
  }
}
