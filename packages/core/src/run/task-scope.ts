/**
 * `tasks` of the template scope: `tasks.<id>` is `{ output, text, status }` of a succeeded task
 * and `{ status }` of any other, read from the live task states when a template reads it, so
 * that a run of 100,000 tasks does not build 100,000 entries for every task it prepares.
 * Templates only read tasks upstream of theirs, whose states no longer change.
 */
import type { Json, TaskState } from '@weft/spec'

export function taskScopeView(tasks: ReadonlyMap<string, TaskState>): Record<string, unknown> {
  const entry = (t: TaskState) =>
    t.status === 'succeeded'
      ? { output: t.output ?? null, text: t.text ?? toText(t.output), status: t.status }
      : { status: t.status }
  const own = (key: string | symbol) => (typeof key === 'string' ? tasks.get(key) : undefined)
  return new Proxy({} as Record<string, unknown>, {
    get: (_, key) => {
      const t = own(key)
      return t ? entry(t) : undefined
    },
    has: (_, key) => own(key) !== undefined,
    ownKeys: () => [...tasks.keys()],
    getOwnPropertyDescriptor: (_, key) => {
      const t = own(key)
      return t ? { value: entry(t), writable: false, enumerable: true, configurable: true } : undefined
    },
    set: () => false,
    defineProperty: () => false,
    deleteProperty: () => false,
  })
}

export function toText(value: Json | undefined): string {
  if (value === undefined || value === null) return ''
  return typeof value === 'string' ? value : JSON.stringify(value)
}
