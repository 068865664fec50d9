import type { FullStore, Store } from '@weft/core'
import { createSqliteStore } from '../src/index.js'

/**
 * A Store over one SQLite file that closes the database and opens it again after every write,
 * so the conformance suite's reads all come from what reached the file, never from a live
 * connection. Calls are serialised so that none runs on a connection being swapped.
 */
export function reopeningStore(path: string): FullStore {
  let current = createSqliteStore({ path })
  let chain: Promise<unknown> = Promise.resolve()

  function serial<T>(op: (store: Store) => Promise<T>): Promise<T> {
    const next = chain.then(() => op(current))
    chain = next.catch(() => undefined)
    return next
  }

  async function reopen(): Promise<void> {
    await current.close()
    current = createSqliteStore({ path })
    await current.init()
  }

  /** A write, then a fresh connection for whatever comes next. */
  function write<T>(op: (store: Store) => Promise<T>): Promise<T> {
    return serial(async (s) => {
      try {
        return await op(s)
      } finally {
        await reopen()
      }
    })
  }

  return {
    specificationVersion: current.specificationVersion,
    id: current.id,
    capabilities: current.capabilities,
    init: () => serial((s) => s.init()),
    close: () => serial((s) => s.close()),
    commit: (commit) => write((s) => s.commit(commit)),
    runs: {
      get: (...a) => serial((s) => s.runs.get(...a)),
      getSpec: (...a) => serial((s) => s.runs.getSpec(...a)),
      list: (...a) => serial((s) => s.runs.list(...a)),
      counts: () => serial((s) => s.runs.counts()),
      delete: (...a) => write((s) => s.runs.delete(...a)),
    },
    tasks: {
      list: (...a) => serial((s) => s.tasks.list(...a)),
      get: (...a) => serial((s) => s.tasks.get(...a)),
    },
    events: {
      read: (...a) => serial((s) => s.events.read(...a)),
      query: (...a) => serial((s) => s.events.query(...a)),
    },
    signals: {
      send: (...a) => write((s) => s.signals!.send(...a)),
      receive: (...a) => serial((s) => s.signals!.receive(...a)),
      lastId: () => serial((s) => s.signals!.lastId()),
    },
    leases: {
      acquire: (...a) => write((s) => s.leases!.acquire(...a)),
      renew: (...a) => write((s) => s.leases!.renew(...a)),
      release: (...a) => write((s) => s.leases!.release(...a)),
      get: (...a) => serial((s) => s.leases!.get(...a)),
    },
    artifacts: {
      put: (...a) => write((s) => s.artifacts!.put(...a)),
      get: (...a) => serial((s) => s.artifacts!.get(...a)),
      list: (...a) => serial((s) => s.artifacts!.list(...a)),
    },
    memory: {
      get: (...a) => serial((s) => s.memory!.get(...a)),
      list: (...a) => serial((s) => s.memory!.list(...a)),
    },
    idempotency: {
      claim: (...a) => write((s) => s.idempotency!.claim(...a)),
      complete: (...a) => write((s) => s.idempotency!.complete(...a)),
      release: (...a) => write((s) => s.idempotency!.release(...a)),
    },
    dataflow: {
      save: (...a) => write((s) => s.dataflow!.save(...a)),
      append: (...a) => write((s) => s.dataflow!.append(...a)),
      get: (...a) => serial((s) => s.dataflow!.get(...a)),
      list: (...a) => serial((s) => s.dataflow!.list(...a)),
      events: (...a) => serial((s) => s.dataflow!.events(...a)),
    },
  }
}
