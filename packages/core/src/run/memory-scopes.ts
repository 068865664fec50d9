/**
 * Memory the run's tasks read in templates and write with their results: the run's own scope
 * (`run:<id>`) and agent scopes (`agent:<name>`, shared across runs, loaded on first use). Writes
 * apply here at once and are committed with the task's completion. A store without memory gives
 * empty scopes and refuses writes (the run logs a warning instead of failing the task).
 */
import type { JsonObject, Store, TaskResult } from '@weft/spec'
import type { MemoryWrite } from './commit-log.js'

export class MemoryScopes {
  run: JsonObject = {}
  private readonly agents = new Map<string, JsonObject>()

  constructor(
    private readonly store: Store,
    private readonly runId: string,
  ) {}

  /** Whether the store keeps memory at all (an optional capability). */
  get supported(): boolean {
    return storeHas(this.store, 'memory')
  }

  async loadRun(): Promise<void> {
    if (!this.supported) return
    const entries = await this.store.memory!.list(`run:${this.runId}`)
    this.run = Object.fromEntries(entries.map((e) => [e.key, e.value])) as JsonObject
  }

  async agent(name: string): Promise<JsonObject> {
    const cached = this.agents.get(name)
    if (cached) return cached
    const entries = this.supported ? await this.store.memory!.list(`agent:${name}`) : []
    const loaded = Object.fromEntries(entries.map((e) => [e.key, e.value])) as JsonObject
    this.agents.set(name, loaded)
    return loaded
  }

  /**
   * Applies a task's writes and returns them for the commit, or the reason they were refused.
   * A null value deletes the key.
   */
  write(
    writes: NonNullable<TaskResult['memory']>,
    agent: string | undefined,
  ): { writes: MemoryWrite[]; refused?: string } {
    if (!this.supported)
      return { writes: [], refused: 'wrote memory, but memory is unsupported by this store' }
    const out: MemoryWrite[] = []
    const apply = (scope: string, target: JsonObject, values: JsonObject) => {
      for (const [key, value] of Object.entries(values)) {
        if (value === null) delete target[key]
        // A key is data, never a prototype: `__proto__` from a model's output is stored as a key.
        else
          Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true })
        out.push({ scope, key, value })
      }
    }
    if (writes.run) apply(`run:${this.runId}`, this.run, writes.run)
    if (writes.agent) {
      if (!agent) return { writes: out, refused: 'wrote agent memory but runs as no agent' }
      const target = this.agents.get(agent) ?? {}
      this.agents.set(agent, target)
      apply(`agent:${agent}`, target, writes.agent)
    }
    return { writes: out }
  }
}

/**
 * Whether the store has an optional part (memory, artifacts): declared in its capabilities (when
 * it declares any) and present.
 */
export function storeHas(store: Store, part: 'memory' | 'artifacts'): boolean {
  const s = store as unknown as {
    capabilities?: Record<string, boolean>
    memory?: unknown
    artifacts?: unknown
  }
  return s.capabilities?.[part] !== false && s[part] !== undefined
}
