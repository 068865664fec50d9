import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type Commit, createMemoryStore, type Store, type TaskState } from '@weft/core'
import { firstCommit, logNow } from '@weft/testing'
import fc from 'fast-check'
import { afterAll, describe, expect, it } from 'vitest'
import { createSqliteStore } from '../src/index.js'

// A commit's events and task states are written in statements of up to 32 rows; a running run's
// task states go to a journal that reads (and long journals, and a run's end) fold into the tasks
// table (src/event-inserts.ts, src/task-writes.ts, src/task-journal.ts). The in-memory store of
// core is the reference: the same commits, with reads between them at any point, must leave the
// same events and tasks in both, read from this store or from another one on the same file.

const root = mkdtempSync(join(tmpdir(), 'weft-sqlite-batched-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))
let counter = 0

function taskState(
  runId: string,
  taskId: string,
  order: number,
  status: TaskState['status'] = 'pending',
): TaskState {
  return { runId, taskId, status, attempt: 0, priority: 50, order, needs: [] }
}

/** One task write of a later commit: an existing task (maybe moved) or a new one. */
const taskWrite = fc.record({
  pick: fc.nat(),
  isNew: fc.boolean(),
  moved: fc.boolean(),
  status: fc.constantFrom('queued', 'running', 'succeeded', 'failed'),
})
const laterCommit = fc.record({
  events: fc.nat({ max: 80 }),
  tasks: fc.array(taskWrite, { maxLength: 70 }),
  /** Read the tasks after this commit, which folds the journal: here, or from another store. */
  readAfter: fc.constantFrom('none', 'here', 'elsewhere'),
})

async function stateOf(store: Store, runId: string) {
  return { tasks: await store.tasks.list(runId), events: await store.events.read(runId, { limit: 10_000 }) }
}

describe('sqlite store: commits written in statements of many rows', () => {
  it('leaves the same events and tasks as the in-memory store, for any mix of commits', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.nat({ max: 100 }),
        fc.array(laterCommit, { minLength: 1, maxLength: 5 }),
        async (initial, later) => {
          const sqlite = createSqliteStore({ path: join(root, `db-${++counter}.db`) })
          const memory = createMemoryStore()
          const runId = `run_batched${counter}`
          const ids: string[] = []
          let nextOrder = 0
          const first = firstCommit(runId, 'batched')
          first.tasks = Array.from({ length: initial }, () => {
            const id = `t${ids.length}`
            ids.push(id)
            return taskState(runId, id, nextOrder++)
          })
          first.events = Array.from({ length: initial }, (_, i) => logNow(`created ${i}`))
          const commits: Commit[] = [first]
          const reads: string[] = ['none']
          let lastSeq = first.events.length
          for (const c of later) {
            const tasks: TaskState[] = c.tasks.map((w) => {
              if (w.isNew || ids.length === 0) {
                const id = `t${ids.length}`
                ids.push(id)
                return taskState(runId, id, nextOrder++, w.status as TaskState['status'])
              }
              const id = ids[w.pick % ids.length]!
              const order = w.moved ? nextOrder++ : Number(id.slice(1))
              return taskState(runId, id, order, w.status as TaskState['status'])
            })
            const events = Array.from({ length: c.events }, (_, i) => ({
              ...logNow(`e${i}`),
              taskId: `t${i}`,
              attempt: i % 3,
            }))
            commits.push({ runId, expectLastSeq: lastSeq, tasks, events })
            reads.push(c.readAfter)
            lastSeq += events.length
          }
          const path = join(root, `db-${counter}.db`)
          const elsewhere = createSqliteStore({ path })
          try {
            for (const [i, c] of commits.entries()) {
              const [a, b] = await Promise.all([
                sqlite.commit(structuredClone(c)),
                memory.commit(structuredClone(c)),
              ])
              expect(a).toEqual(b)
              const read = reads[i]
              if (read === 'here' || read === 'elsewhere') {
                const store = read === 'here' ? sqlite : elsewhere
                expect(await store.tasks.list(runId)).toEqual(await memory.tasks.list(runId))
                const id = ids[i % Math.max(1, ids.length)] ?? 'none'
                expect(await store.tasks.get(runId, id)).toEqual(await memory.tasks.get(runId, id))
              }
            }
            // What a process that died left unfolded, read by the next one to open the file.
            await sqlite.close()
            const next = createSqliteStore({ path })
            try {
              expect(await stateOf(next, runId)).toEqual(await stateOf(memory, runId))
            } finally {
              await next.close()
            }
          } finally {
            await sqlite.close()
            await elsewhere.close()
          }
        },
      ),
      { numRuns: 60 },
    )
  })
})
