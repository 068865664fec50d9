import type { EventDraft, Page, RunFilter, RunSpec, RunSummary, TaskState, WeftEvent } from '@weft/spec'
import {
  type ArtifactRef,
  assertArtifactName,
  type Commit,
  type EventQuery,
  emptyRunCounts,
  type FullStore,
  type IdempotencyClaim,
  type MemoryEntry,
  RunFilterSchema,
  type RunLease,
  type Signal,
  STORE_SPECIFICATION_VERSION,
  WeftError,
} from '@weft/spec'
import { cloneJson } from './clone.js'
import { createMemoryDataflowStore } from './memory-dataflow.js'
import { StoredEvents } from './memory-events.js'
import { createMemoryQueueStore } from './memory-queue.js'
import { createMemoryScheduleStore } from './memory-schedules.js'
import { StoredTasks } from './memory-tasks.js'
import { compareTasks, matchesTaskQuery } from './task-query.js'

interface RunRecord {
  spec: RunSpec
  summary?: RunSummary
  tasks: StoredTasks
  events: StoredEvents
}

/**
 * What the store hands out are copies: a reader cannot change it in place. What a commit gives it
 * becomes the store's own without a copy: the runtime never changes what it committed (its reducer
 * replaces state objects instead of mutating them, and events are never changed once recorded),
 * and copying every event, task state and summary twice was a third of the cost of a run.
 */
const clone = cloneJson

/** A store in process memory: for tests, examples and short-lived runtimes. Nothing survives exit. */
export function createMemoryStore(): FullStore {
  const runs = new Map<string, RunRecord>()
  const signals: Signal[] = []
  const leases = new Map<string, RunLease>()
  const artifacts = new Map<string, Map<string, { ref: ArtifactRef; data: Uint8Array }>>()
  let signalSeq = 0
  const memory = new Map<string, Map<string, MemoryEntry>>()
  const keys = new Map<string, { bodyHash: string; owner: string; expiresAt: string; runId?: string }>()

  const store: FullStore = {
    specificationVersion: STORE_SPECIFICATION_VERSION,
    id: 'memory',
    capabilities: {
      transactions: true,
      multiProcess: false,
      leases: true,
      signals: true,
      artifacts: true,
      memory: true,
      idempotency: true,
      dataflow: true,
      queue: true,
      schedules: true,
    },
    dataflow: createMemoryDataflowStore(),
    queue: createMemoryQueueStore(),
    schedules: createMemoryScheduleStore(),
    async init() {},
    async close() {},

    async commit(commit: Commit) {
      let record = runs.get(commit.runId)
      if (commit.create) {
        if (record) throw new WeftError('conflict', `run ${commit.runId} already exists`)
        record = { spec: commit.create.spec, tasks: new StoredTasks(), events: new StoredEvents() }
      } else if (!record) {
        throw new WeftError('run_not_found', `run ${commit.runId} does not exist`)
      }
      const lastSeq = record.events.length
      if (commit.expectLastSeq !== undefined && commit.expectLastSeq !== lastSeq) {
        throw new WeftError(
          'conflict',
          `run ${commit.runId} changed (last seq ${lastSeq}, expected ${commit.expectLastSeq})`,
        )
      }
      // Validate everything before mutating, so a failed commit leaves nothing behind.
      const stored: WeftEvent[] = new Array(commit.events.length)
      for (let i = 0; i < commit.events.length; i++) {
        const e = commit.events[i]! as EventDraft & { ts: string; runId?: string; seq?: number }
        const seq = lastSeq + i + 1
        // The runtime's events come stamped for this run with seq 0 and a severity, and are never
        // changed once committed: one is numbered in place instead of copied (a copy per event was
        // most of what a run of 100,000 tasks allocated here). Any other draft is copied, so a
        // caller that commits the same draft twice does not see it change.
        if (e.seq === 0 && e.runId === commit.runId && e.severity !== undefined) {
          e.seq = seq
          stored[i] = e as WeftEvent
        } else {
          stored[i] = { ...e, runId: commit.runId, seq, severity: e.severity ?? 'info' } as WeftEvent
        }
      }
      runs.set(commit.runId, record)
      if (commit.spec) record.spec = commit.spec
      for (const t of commit.tasks ?? []) record.tasks.put(t)
      for (const m of commit.memory ?? []) {
        const scope = memory.get(m.scope) ?? new Map<string, MemoryEntry>()
        memory.set(m.scope, scope)
        if (m.value === null) scope.delete(m.key)
        else
          scope.set(m.key, {
            scope: m.scope,
            key: m.key,
            value: clone(m.value),
            updatedAt: new Date().toISOString(),
          })
      }
      for (const e of stored) record.events.push(e)
      if (commit.run) record.summary = { ...commit.run, lastSeq: record.events.length }
      else if (record.summary) record.summary = { ...record.summary, lastSeq: record.events.length }
      // The stored events themselves: the runtime publishes them to its followers, who only read.
      return stored
    },

    runs: {
      async get(id) {
        const s = runs.get(id)?.summary
        return s && clone(s)
      },
      async getSpec(id) {
        const r = runs.get(id)
        return r && clone(r.spec)
      },
      async list(filter: RunFilter = {}): Promise<Page<RunSummary>> {
        const f = RunFilterSchema.parse(filter)
        let all = [...runs.values()].flatMap((r) => (r.summary ? [r.summary] : []))
        all.sort((a, b) => (a.id < b.id ? 1 : -1))
        if (f.status) all = all.filter((s) => f.status!.includes(s.status))
        if (f.name) all = all.filter((s) => s.name === f.name)
        if (f.tag) all = all.filter((s) => s.tags.includes(f.tag!))
        if (f.createdBefore) all = all.filter((s) => s.createdAt < f.createdBefore!)
        if (f.cursor) all = all.filter((s) => s.id < f.cursor!)
        const items = all.slice(0, f.limit).map(clone)
        return all.length > f.limit ? { items, nextCursor: items[items.length - 1]!.id } : { items }
      },
      async counts() {
        const counts = emptyRunCounts()
        for (const r of runs.values()) if (r.summary) counts[r.summary.status]++
        return counts
      },
      async delete(runIds) {
        let deleted = 0
        for (const id of runIds) {
          if (!runs.delete(id)) continue
          deleted++
          leases.delete(id)
          artifacts.delete(id)
          memory.delete(`run:${id}`)
          for (let i = signals.length - 1; i >= 0; i--) if (signals[i]!.runId === id) signals.splice(i, 1)
          for (const [key, k] of keys) if (k.runId === id) keys.delete(key)
        }
        return deleted
      },
    },

    tasks: {
      async list(runId) {
        const r = runs.get(runId)
        if (!r) return []
        return [...r.tasks.values()].sort((a, b) => a.order - b.order).map(clone)
      },
      async get(runId, taskId) {
        const t = runs.get(runId)?.tasks.get(taskId)
        return t && clone(t)
      },
      async query(q) {
        const out: TaskState[] = []
        for (const r of q.runId === undefined ? runs.values() : [runs.get(q.runId)]) {
          for (const t of r?.tasks.values() ?? []) if (matchesTaskQuery(t, q)) out.push(t)
        }
        return out
          .sort(compareTasks)
          .slice(0, q.limit ?? 100)
          .map(clone)
      },
    },

    events: {
      async read(runId, options = {}) {
        const events = runs.get(runId)?.events
        const after = options.afterSeq ?? 0
        return events ? clone(events.slice(after, after + (options.limit ?? 1000))) : []
      },
      async query(q: EventQuery) {
        const source = q.runId
          ? (runs.get(q.runId)?.events.all() ?? [])
          : [...runs.values()]
              .flatMap((r) => r.events.all())
              .sort((a, b) =>
                a.ts < b.ts
                  ? -1
                  : a.ts > b.ts
                    ? 1
                    : a.runId < b.runId
                      ? -1
                      : a.runId > b.runId
                        ? 1
                        : a.seq - b.seq,
              )
        const out = source.filter(
          (e) =>
            (!q.types || q.types.includes(e.type)) &&
            (!q.taskId || e.taskId === q.taskId) &&
            (!q.severities || q.severities.includes(e.severity)) &&
            (!q.since || e.ts >= q.since) &&
            (!q.until || e.ts < q.until),
        )
        return clone(out.slice(0, q.limit ?? 1000))
      },
    },

    signals: {
      async send(signal) {
        const s: Signal = { ...clone(signal), id: ++signalSeq, createdAt: new Date().toISOString() }
        signals.push(s)
        return clone(s)
      },
      async receive(runIds, afterId) {
        return clone(signals.filter((s) => s.id > afterId && runIds.includes(s.runId)))
      },
      async lastId() {
        return signalSeq
      },
    },

    leases: {
      async acquire(runId, owner, ttlMs) {
        const now = Date.now()
        const held = leases.get(runId)
        if (held && held.owner !== owner && Date.parse(held.expiresAt) > now) {
          return { acquired: false, lease: clone(held) }
        }
        const lease = { runId, owner, expiresAt: new Date(now + ttlMs).toISOString() }
        leases.set(runId, lease)
        return { acquired: true, lease: clone(lease) }
      },
      async renew(runId, owner, ttlMs) {
        const held = leases.get(runId)
        if (!held || held.owner !== owner) return false
        held.expiresAt = new Date(Date.now() + ttlMs).toISOString()
        return true
      },
      async release(runId, owner) {
        if (leases.get(runId)?.owner === owner) leases.delete(runId)
      },
      async get(runId) {
        const held = leases.get(runId)
        return held && clone(held)
      },
    },

    memory: {
      async get(scope, key) {
        const e = memory.get(scope)?.get(key)
        return e && clone(e)
      },
      async list(scope) {
        return [...(memory.get(scope)?.values() ?? [])].map(clone).sort((a, b) => (a.key < b.key ? -1 : 1))
      },
    },

    idempotency: {
      async claim(key, bodyHash, owner, ttlMs): Promise<IdempotencyClaim> {
        const now = Date.now()
        const held = keys.get(key)
        if (held?.runId !== undefined) return { status: 'done', runId: held.runId, bodyHash: held.bodyHash }
        if (held && held.owner !== owner && Date.parse(held.expiresAt) > now) {
          return { status: 'busy', owner: held.owner, bodyHash: held.bodyHash, expiresAt: held.expiresAt }
        }
        keys.set(key, { bodyHash, owner, expiresAt: new Date(now + ttlMs).toISOString() })
        return { status: 'claimed' }
      },
      async complete(key, owner, runId) {
        const held = keys.get(key)
        if (!held) return false
        if (held.runId !== undefined) return held.runId === runId
        if (held.owner !== owner) return false
        held.runId = runId
        return true
      },
      async release(key, owner) {
        const held = keys.get(key)
        if (held && held.runId === undefined && held.owner === owner) keys.delete(key)
      },
    },

    artifacts: {
      async put({ runId, taskId, name, contentType, data }) {
        assertArtifactName(name)
        if (!runs.has(runId)) throw new WeftError('run_not_found', `run ${runId} does not exist`)
        const ref: ArtifactRef = {
          runId,
          ...(taskId ? { taskId } : {}),
          name,
          ...(contentType ? { contentType } : {}),
          size: data.byteLength,
          createdAt: new Date().toISOString(),
        }
        const byName = artifacts.get(runId) ?? new Map<string, { ref: ArtifactRef; data: Uint8Array }>()
        artifacts.set(runId, byName)
        byName.set(name, { ref, data: new Uint8Array(data) })
        return clone(ref)
      },
      async get(runId, name) {
        const a = artifacts.get(runId)?.get(name)
        return a && { ref: clone(a.ref), data: new Uint8Array(a.data) }
      },
      async list(runId) {
        const all = [...(artifacts.get(runId)?.values() ?? [])].map((a) => clone(a.ref))
        return all.sort((x, y) => (x.name < y.name ? -1 : 1))
      },
    },
  }
  return store
}

/** Artifact names: the one definition lives in @weft/spec (kept here for core's export). */
export { assertArtifactName }
