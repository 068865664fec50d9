import type { FullStore, Store } from '@weft/core'
import { createFsStore, type FsStoreOptions } from '../src/index.js'

/** Methods that write: after each, the store is closed and opened again. */
const WRITES = new Set([
  'commit',
  'runs.delete',
  'signals.send',
  'leases.acquire',
  'leases.renew',
  'leases.release',
  'artifacts.put',
  'idempotency.claim',
  'idempotency.complete',
  'idempotency.release',
])
const GROUPS = ['runs', 'tasks', 'events', 'signals', 'leases', 'artifacts', 'memory', 'idempotency'] as const

/**
 * A Store over one directory that closes the store and opens a new one (running the open-time
 * checks and repairs) after every write, so the conformance suite's reads all come from what
 * reached the files, never from anything a live instance remembers. Calls are serialised so that
 * none runs on an instance being swapped.
 */
export function reopeningStore(options: FsStoreOptions): FullStore {
  let current = createFsStore(options)
  let chain: Promise<unknown> = Promise.resolve()

  function serial<T>(op: (store: Store) => Promise<T>): Promise<T> {
    const next = chain.then(() => op(current))
    chain = next.catch(() => undefined)
    return next
  }

  async function reopen(): Promise<void> {
    await current.close()
    current = createFsStore(options)
    await current.init()
  }

  function call(path: string, args: unknown[]): Promise<unknown> {
    const [group, method] = path.includes('.') ? path.split('.') : [undefined, path]
    const invoke = (s: Store) => {
      const target = (group ? s[group as (typeof GROUPS)[number]] : s) as unknown as Record<
        string,
        (...a: unknown[]) => Promise<unknown>
      >
      return target[method!]!(...args)
    }
    if (!WRITES.has(path)) return serial(invoke)
    return serial(async (s) => {
      try {
        return await invoke(s)
      } finally {
        await reopen()
      }
    })
  }

  const groups = Object.fromEntries(
    GROUPS.map((group) => [
      group,
      new Proxy(
        {},
        {
          get:
            (_, method) =>
            (...args: unknown[]) =>
              call(`${group}.${String(method)}`, args),
        },
      ),
    ]),
  )
  return {
    specificationVersion: current.specificationVersion,
    id: current.id,
    capabilities: current.capabilities,
    init: () => serial((s) => s.init()),
    close: () => serial((s) => s.close()),
    commit: (commit) => call('commit', [commit]) as ReturnType<Store['commit']>,
    ...(groups as Pick<FullStore, (typeof GROUPS)[number]>),
  }
}
