import type { Store } from '@weft/core'

/**
 * A handle on the store that "dies" on `kill()`: from then on its writes and lease renewals never
 * return, as if its process had stopped; what it committed before stays in the store, and another
 * runtime on the underlying store sees exactly that.
 */
export function killableStore(store: Store): { store: Store; kill(): void } {
  let dead = false
  const never = new Promise<never>(() => {})
  const gate =
    <A extends unknown[], R>(fn: (...args: A) => Promise<R>) =>
    (...args: A): Promise<R> =>
      dead ? never : fn(...args)
  return {
    kill: () => {
      dead = true
    },
    // Members are forwarded one by one (not spread) so stores built from classes work too.
    store: {
      specificationVersion: store.specificationVersion,
      id: store.id,
      capabilities: store.capabilities,
      init: () => store.init(),
      commit: gate((c) => store.commit(c)),
      close: async () => {},
      runs: store.runs,
      tasks: store.tasks,
      events: store.events,
      artifacts: store.artifacts,
      memory: store.memory,
      idempotency: store.idempotency,
      dataflow: store.dataflow,
      leases: {
        acquire: (runId, owner, ttlMs) => store.leases!.acquire(runId, owner, ttlMs),
        get: (runId) => store.leases!.get(runId),
        renew: gate((runId: string, owner: string, ttlMs: number) =>
          store.leases!.renew(runId, owner, ttlMs),
        ),
        release: gate((runId: string, owner: string) => store.leases!.release(runId, owner)),
      },
      signals: {
        send: (signal) => store.signals!.send(signal),
        lastId: () => store.signals!.lastId(),
        receive: gate((runIds: string[], afterId: number) => store.signals!.receive(runIds, afterId)),
      },
    },
  }
}
