import { describe, expect, it } from 'vitest'
import { internalsOf } from '../src/queue/internals.js'
import { queueQueries } from '../src/queue/queries.js'
import { storeOfThisFile } from './schemas.js'
import { taskLessRun } from './task-less-run.js'

const shared = storeOfThisFile()

describe("a worker's results and its next claim in one statement", () => {
  it('records the results (fenced as alone) and claims queued attempts, whose claims reach the log', async () => {
    await shared.init()
    const { db, s } = internalsOf(shared)
    const q = queueQueries(db, s)
    const runId = 'run_refill'
    await shared.commit(taskLessRun(runId, 'r'))
    const attempt = (taskId: string, priority = 50) => ({
      runId,
      taskId,
      attempt: 1,
      backend: 'echo',
      priority,
      request: '{}',
    })
    await q.enqueue('o', [attempt('a', 10), attempt('b', 20), attempt('c', 30), attempt('d', 40)])
    const claim = { backends: ['echo'], ttlMs: 5000, fields: { host: 'h' } }
    const [a, b] = await q.claim({ worker: 'w', ...claim, limit: 2 })
    expect([a?.taskId, b?.taskId]).toEqual(['a', 'b'])

    // `a` finishes; `b` comes with a token that is not its own (refused); two slots are refilled.
    const done = await q.complete(
      'w',
      [
        { claim: a!, status: 'succeeded', result: '{"result":{"ok":1}}' },
        { claim: { ...b!, token: a!.token }, status: 'succeeded', result: '{"result":{}}' },
      ],
      { ...claim, limit: 2 },
    )
    expect([...done.accepted]).toEqual([`${runId}\u0000a\u00001`])
    expect(done.claimed.map((c) => [c.taskId, c.owner, c.backend])).toEqual([
      ['c', 'o', 'echo'],
      ['d', 'o', 'echo'],
    ])
    // Nothing left to claim: the results alone are recorded.
    const rest = await q.complete('w', [{ claim: b!, status: 'failed', result: '{"error":{}}' }], {
      ...claim,
      limit: 3,
    })
    expect(rest).toEqual({ accepted: new Set([`${runId}\u0000b\u00001`]), claimed: [] })

    const taken = (await q.take('o')).results.map((r) => [r.taskId, r.status, r.worker])
    expect(taken.sort()).toEqual([
      ['a', 'succeeded', 'w'],
      ['b', 'failed', 'w'],
    ])
    // Every claim, the refills' too, is in the inbox for the run's log.
    expect(await q.foldClaims()).toBe(4)
    const codes = (await shared.events.read(runId)).map(
      (e) => (e.data as { fields?: { code?: string } }).fields?.code,
    )
    expect(codes.filter((c) => c === 'task.claimed')).toHaveLength(4)
  })
})
