import {
  type DataflowExecutionRecord,
  type DataflowStore,
  type DataflowStoredEvent,
  WeftError,
} from '@weft/spec'
import { cloneJson as clone } from './clone.js'

/** The dataflow part of the memory store: records and events in maps. */
export function createMemoryDataflowStore(): DataflowStore {
  const records = new Map<string, DataflowExecutionRecord>()
  const events = new Map<string, DataflowStoredEvent[]>()
  return {
    async save(record) {
      records.set(record.id, clone(record))
      if (!events.has(record.id)) events.set(record.id, [])
    },
    async append(executionId, drafts) {
      const log = events.get(executionId)
      if (!log)
        throw new WeftError(
          'input_invalid',
          `there is no dataflow execution '${executionId}' to append events to`,
          { hint: 'save() the execution first' },
        )
      const stored = drafts.map((d, i) => ({
        executionId,
        seq: log.length + i + 1,
        ts: d.ts,
        type: d.type,
        data: clone(d.data),
      }))
      log.push(...stored)
      return stored.map(clone)
    },
    async get(id) {
      const r = records.get(id)
      return r && clone(r)
    },
    async list(options = {}) {
      const all = [...records.values()]
        .filter((r) => options.state === undefined || r.state === options.state)
        .sort((a, b) =>
          a.createdAt === b.createdAt ? (a.id < b.id ? 1 : -1) : a.createdAt < b.createdAt ? 1 : -1,
        )
      return all.slice(0, options.limit ?? 100).map(clone)
    },
    async events(executionId, options = {}) {
      const after = options.afterSeq ?? 0
      const limit = options.limit ?? 1000
      return (events.get(executionId) ?? [])
        .filter((e) => e.seq > after)
        .slice(0, limit)
        .map(clone)
    },
  }
}
