import type { BackendEvent } from '@weft/core'
import type { ClaimedAttempt, QueueQueries } from './queries.js'
import { persist } from './retry.js'
import type { Active } from './worker-types.js'

/**
 * A worker's running attempts' backend events on their way to the runs' owners (`attempt_events`),
 * so a task on another machine is followed live. One stream statement at a time, so an attempt's
 * events keep their order; an attempt whose result is known is left to its completion, which
 * waits for the statement carrying its earlier events (`Active.streaming`) and sends the rest.
 *
 * `process` events (the OS process group an attempt started) are not streamed: they go with the
 * result, as before. The group belongs to the worker's host, and a run's new owner that saw it
 * while the attempt ran would take it for an orphan of the dead owner and end it (recovery ends
 * recorded groups that outlived their owner), killing a task a live worker still runs.
 */
export class EventStream {
  #sending = false

  constructor(
    readonly queue: QueueQueries,
    readonly warn: (message: string) => void,
  ) {}

  async send(active: Iterable<Active>): Promise<void> {
    if (this.#sending) return
    const rows: { claim: ClaimedAttempt; event: string }[] = []
    const carried: Active[] = []
    for (const a of active) {
      if (a.lost || a.finishing || a.unsent.length === 0) continue
      const held: BackendEvent[] = []
      for (const e of a.unsent.splice(0)) {
        if (e.type === 'process') held.push(e)
        else rows.push({ claim: a.claim, event: JSON.stringify(e) })
      }
      a.unsent.push(...held)
      carried.push(a)
    }
    if (rows.length === 0) return
    this.#sending = true
    const sent = persist(() => this.queue.stream(rows), 5)
      .catch((err: Error) =>
        this.warn(`could not stream ${rows.length} event(s) to their runs: ${err.message}`),
      )
      .finally(() => {
        this.#sending = false
      })
    for (const a of carried) a.streaming = sent
    await sent
  }
}
