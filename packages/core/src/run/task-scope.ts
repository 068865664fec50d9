/**
 * `tasks` of the template scope: `tasks.<id>` is `{ output, text, status }` of a succeeded task
 * and `{ status }` of any other, read from the live task states when a template reads it, so
 * that a run of 100,000 tasks does not build 100,000 entries for every task it prepares.
 * Templates only read tasks upstream of theirs, whose states no longer change.
 */
import type { Json, JsonObject, RunSpec, TaskState } from '@weft/spec'
import type { Scope } from '../template/expression.js'

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

/** What a run's scope is built from. */
interface ScopeSource {
  readonly id: string
  readonly spec: RunSpec
  readonly memory: { readonly run: JsonObject }
  readonly state: { readonly summary: { name: string } }
}

/**
 * A run's template scope (`inputs`, `tasks`, `run`, `memory`), built again only when its inputs
 * or its memory are replaced: templates of every task render in it.
 */
export class RunScopes {
  private cached?: { inputs: unknown; memory: JsonObject; plain: Scope; noAgent: Scope }

  constructor(
    private readonly run: ScopeSource,
    private readonly tasks: Record<string, unknown>,
  ) {}

  scope(agent?: JsonObject): Scope {
    const run = this.run
    const memory = run.memory.run
    let cached = this.cached
    if (!cached || cached.inputs !== run.spec.inputs || cached.memory !== memory) {
      const base = {
        inputs: run.spec.inputs,
        tasks: this.tasks,
        run: { id: run.id, name: run.state.summary.name },
      }
      cached = this.cached = {
        inputs: run.spec.inputs,
        memory,
        plain: { ...base, memory: { run: memory } },
        noAgent: { ...base, memory: { run: memory, agent: {} } },
      }
    }
    if (agent === undefined) return cached.plain
    return { ...cached.plain, memory: { run: memory, agent } }
  }

  /** The scope a task's templates render in: its agent's memory, or an empty one. */
  taskScope(agent: JsonObject | undefined): Scope {
    if (agent) return this.scope(agent)
    this.scope()
    return this.cached!.noAgent
  }
}
