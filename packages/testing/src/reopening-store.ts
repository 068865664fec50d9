import type { Store } from '@weft/core'

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
  'dataflow.save',
  'dataflow.append',
  'queue.set',
  'schedules.put',
  'schedules.remove',
  'schedules.claimTick',
  'schedules.completeTick',
  'schedules.advance',
  'schedules.pruneTicks',
  'schedules.reclaimTick',
])
const GROUPS = [
  'runs',
  'tasks',
  'events',
  'signals',
  'leases',
  'artifacts',
  'memory',
  'idempotency',
  'dataflow',
  'queue',
  'schedules',
] as const

/**
 * A store that closes the store `open()` made and opens a new one (running its open-time checks,
 * migrations and repairs) after every write, so that a conformance suite's reads all come from what
 * reached the disk, never from anything a live instance remembers. Calls are serialised so that
 * none runs on an instance being swapped. It has the optional parts the first instance has.
 */
export function reopeningStore<S extends Store>(open: () => S): S {
  let current: Store = open()
  let chain: Promise<unknown> = Promise.resolve()

  function serial<T>(op: (store: Store) => Promise<T>): Promise<T> {
    const next = chain.then(() => op(current))
    chain = next.catch(() => undefined)
    return next
  }

  async function reopen(): Promise<void> {
    await current.close()
    current = open()
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
    GROUPS.filter((group) => current[group] !== undefined).map((group) => [
      group,
      new Proxy(
        {},
        {
          // Only the methods the store has: an optional one it lacks (`tasks.query`) stays absent.
          get: (_, method) =>
            (current[group] as unknown as Record<string | symbol, unknown>)[method] === undefined
              ? undefined
              : (...args: unknown[]) => call(`${group}.${String(method)}`, args),
        },
      ),
    ]),
  )
  const store: Store = {
    specificationVersion: current.specificationVersion,
    id: current.id,
    capabilities: current.capabilities,
    init: () => serial((s) => s.init()),
    close: () => serial((s) => s.close()),
    commit: (commit) => call('commit', [commit]) as ReturnType<Store['commit']>,
    ...(groups as Pick<Store, 'runs' | 'tasks' | 'events'>),
  }
  return store as S
}
