import { setTimeout as sleep } from 'node:timers/promises'
import { type Backend, createRuntime, newOwnerName, type Store } from '@weft/core'
import { stubBackend } from '@weft/testing'
import { afterEach, describe, expect, it } from 'vitest'
import { createPostgresStore, createQueueExecutor, Worker, workerRecords } from '../src/index.js'
import { internalsOf } from '../src/queue/internals.js'
import { queueQueries } from '../src/queue/queries.js'
import { databaseUrl, dropSchema, newSchema } from './schemas.js'
import { taskLessRun } from './task-less-run.js'

const cleanups: (() => Promise<unknown>)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => {})
})

function store(schema = newSchema()): Store {
  const s = createPostgresStore({ url: databaseUrl(), schema })
  cleanups.push(() => dropSchema(schema))
  cleanups.push(() => s.close())
  return s
}

/** An opened store (see store), with its connection, its schema's prefix and the queue's statements. */
async function queueStore() {
  const shared = store()
  await shared.init()
  const { db, s } = internalsOf(shared)
  return { shared, db, s, q: queueQueries(db, s) }
}

const echo: Backend = stubBackend({
  id: 'echo',
  async execute(req) {
    await sleep(5)
    return { output: { task: req.taskId, attempt: req.attempt }, usage: { inputTokens: 1, outputTokens: 2 } }
  },
})

/** An owner: a runtime dispatching to the queue, closed after the test. */
function queueOwner(shared: Store, backend: Backend = echo) {
  const owner = newOwnerName()
  const executor = createQueueExecutor({ store: shared, owner, pollMs: 20 })
  const runtime = createRuntime({ store: shared, backends: [backend], owner, executor })
  cleanups.push(() => runtime.close())
  cleanups.push(() => executor.close())
  return runtime
}

/**
 * An owner (see queueOwner) and one worker with `backend` as `echo`, both closed after the test;
 * starts a run of one task `long` on it.
 */
async function ownerAndWorker(
  shared: Store,
  backend: Backend,
  worker: { name: string; leaseMs?: number; streamMs?: number },
) {
  const runtime = queueOwner(shared, backend)
  const w = new Worker({ store: shared, backends: new Map([['echo', backend]]), ...worker })
  await w.start()
  cleanups.push(() => w.stop(0))
  const run = await runtime.start({
    workflow: { weft: 1, name: worker.name, tasks: { long: { backend: 'echo', prompt: 'x' } } } as never,
  })
  return { runtime, run }
}

describe('task queue (Postgres)', () => {
  it('runs a workflow through the queue: the owner dispatches, a worker claims and completes, the log stays gapless', async () => {
    const shared = store()
    await shared.init()
    const runtime = queueOwner(shared)
    const worker = new Worker({
      store: shared,
      name: 'w1',
      backends: new Map([['echo', echo]]),
      concurrency: 3,
      leaseMs: 2000,
      pollMs: 20,
    })
    await worker.start()
    cleanups.push(() => worker.stop(0))
    const tasks: Record<string, unknown> = {}
    for (let i = 0; i < 12; i++)
      tasks[`t${i}`] = {
        backend: 'echo',
        prompt: 'x',
        ...(i > 0 ? { needs: [`t${i - 1 - (i % 2)}`].filter((n) => n !== 't-1') } : {}),
      }
    const run = await runtime.start({ workflow: { weft: 1, name: 'queued', tasks } as never })
    const done = await runtime.wait(run.id)
    expect(done.status).toBe('succeeded')
    expect(done.taskCounts.succeeded).toBe(12)
    const events = await shared.events.read(run.id, { limit: 10_000 })
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1))
    const claims = events.filter(
      (e) => e.type === 'log' && (e.data as { fields?: { code?: string } }).fields?.code === 'task.claimed',
    )
    expect(claims).toHaveLength(12)
    expect(events.filter((e) => e.type === 'task.succeeded')).toHaveLength(12)
    const t5 = (await shared.tasks.get(run.id, 't5'))!
    expect(t5.output).toEqual({ task: 't5', attempt: 1 })
    // The record counts them with the worker's next write of it, within a second of going idle.
    let [record] = await workerRecords(shared).list()
    for (let i = 0; i < 300 && record?.completed !== 12; i++) {
      await sleep(10)
      ;[record] = await workerRecords(shared).list()
    }
    expect(record).toMatchObject({ name: 'w1', capacity: 3, backends: ['echo'], completed: 12 })
  })

  it('fences completions: after the lease expired and the sweep put the attempt back, the late worker cannot complete it', async () => {
    const { shared, q } = await queueStore()
    await shared.commit(taskLessRun('run_fence', 'f'))
    await q.enqueue('o', [
      { runId: 'run_fence', taskId: 'a', attempt: 1, backend: 'echo', priority: 50, request: '{}' },
    ])
    const [late] = await q.claim({ worker: 'slow', backends: ['echo'], limit: 5, ttlMs: 200, fields: {} })
    expect(late).toMatchObject({ runId: 'run_fence', taskId: 'a', attempt: 1 })
    // Nothing else to claim while it is held.
    expect(await q.claim({ worker: 'other', backends: ['echo'], limit: 5, ttlMs: 200, fields: {} })).toEqual(
      [],
    )
    await sleep(300)
    expect((await q.heartbeat('slow', [late!.token], 200)).size).toBe(0)
    const swept = await q.sweep()
    expect(swept.map((x) => x.key)).toEqual([{ runId: 'run_fence', taskId: 'a', attempt: 1 }])
    const done = (worker: string, claim: typeof late, result = '{"result":{}}') =>
      q
        .complete(worker, [{ claim: claim!, status: 'succeeded', result }])
        .then((ok) => ok.accepted.size === 1)
    expect(await done('slow', late)).toBe(false)
    // The late worker's events are dropped as its completion is.
    await q.stream([{ claim: late!, event: '{"type":"message","text":"late"}' }])
    const afterSweep = await q.take('o')
    expect(afterSweep.events).toEqual([])
    const [lost] = afterSweep.results
    expect(lost?.status).toBe('lost')
    // The owner queues the next attempt; the other worker claims and completes it.
    await q.enqueue('o', [
      { runId: 'run_fence', taskId: 'a', attempt: 2, backend: 'echo', priority: 50, request: '{}' },
    ])
    const [next] = await q.claim({ worker: 'other', backends: ['echo'], limit: 5, ttlMs: 5000, fields: {} })
    expect(next?.attempt).toBe(2)
    expect(await done('slow', { ...next!, token: late!.token })).toBe(false)
    expect(await done('other', next, '{"result":{"ok":1}}')).toBe(true)
    expect(await done('other', next, '{"result":{"ok":2}}')).toBe(false)
    const [taken] = (await q.take('o')).results
    expect(taken).toMatchObject({
      attempt: 2,
      status: 'succeeded',
      result: '{"result":{"ok":1}}',
      worker: 'other',
    })
    // The claims wait in the inbox, outside the run's log, until a fold numbers them after the
    // owner's events.
    expect((await shared.events.read('run_fence')).map((e) => e.seq)).toEqual([1])
    expect(await q.foldClaims()).toBe(2)
    expect(await q.foldClaims()).toBe(0)
    const events = await shared.events.read('run_fence')
    expect(events.map((e) => [e.seq, (e.data as { fields?: { code?: string } }).fields?.code])).toEqual([
      [1, undefined],
      [2, 'task.claimed'],
      [3, 'task.claimed'],
    ])
    // The owner's next commit (expecting seq 1) is accepted: only worker events came in between.
    const stored = await shared.commit({
      runId: 'run_fence',
      expectLastSeq: 1,
      events: [{ type: 'log', ts: new Date().toISOString(), data: { message: 'owner' } }],
    })
    expect(stored[0]!.seq).toBe(4)
    // An owner's event in between is still a conflict.
    await expect(
      shared.commit({
        runId: 'run_fence',
        expectLastSeq: 1,
        events: [{ type: 'log', ts: new Date().toISOString(), data: { message: 'stale owner' } }],
      }),
    ).rejects.toMatchObject({ code: 'conflict' })
  })

  it("an owner's commit puts the run's waiting claims in its log first, and the claims lock no run", async () => {
    const { shared, db, s, q } = await queueStore()
    await shared.commit(taskLessRun('run_inbox', 'c'))
    await q.enqueue('o', [
      { runId: 'run_inbox', taskId: 'a', attempt: 1, backend: 'echo', priority: 50, request: '{}' },
      { runId: 'run_inbox', taskId: 'b', attempt: 1, backend: 'echo', priority: 50, request: '{}' },
    ])
    // A transaction holds the run's row, as a long commit would: the claim does not wait on it.
    await db.tx(async (holder) => {
      await holder.query(`SELECT 1 FROM ${s}runs WHERE id = 'run_inbox' FOR UPDATE`)
      const claimed = await q.claim({ worker: 'w', backends: ['echo'], limit: 1, ttlMs: 5000, fields: {} })
      expect(claimed.map((c) => c.taskId)).toEqual(['a'])
      // Nor does a fold of every run: it skips the held one.
      expect(await q.foldClaims()).toBe(0)
    })
    await q.claim({ worker: 'w', backends: ['echo'], limit: 1, ttlMs: 5000, fields: {} })
    const [stored] = await shared.commit({
      runId: 'run_inbox',
      expectLastSeq: 1,
      events: [{ type: 'log', ts: new Date().toISOString(), data: { message: 'owner' } }],
    })
    expect(stored!.seq).toBe(4)
    const events = await shared.events.read('run_inbox')
    expect(events.map((e) => [e.seq, e.taskId ?? null, (e.data as { message: string }).message])).toEqual([
      [1, null, 'created'],
      [2, 'a', 'attempt 1 of task a claimed by worker w'],
      [3, 'b', 'attempt 1 of task b claimed by worker w'],
      [4, null, 'owner'],
    ])
    expect(await q.foldClaims()).toBe(0)
  })

  it("pausing a run suspends its attempt on the worker running it, through the backend's pause; resuming lets it go on", async () => {
    const shared = store()
    await shared.init()
    const calls: string[] = []
    let release!: () => void
    const released = new Promise<void>((r) => (release = r))
    const pausable: Backend = stubBackend({
      id: 'echo',
      capabilities: { pause: true },
      async execute(req) {
        calls.push(`execute ${req.taskId}`)
        await released
        return { output: 'done' }
      },
      async pause(ctx) {
        calls.push(`pause ${ctx.taskId}`)
      },
      async resume(ctx) {
        calls.push(`resume ${ctx.taskId}`)
      },
    })
    // A lease of a minute: the heartbeat (a third of it) is not what tells the worker.
    const { runtime, run } = await ownerAndWorker(shared, pausable, { name: 'pw', leaseMs: 60_000 })
    const until = async (what: string) => {
      for (let i = 0; i < 500 && !calls.includes(what); i++) await sleep(10)
      expect(calls).toContain(what)
    }
    await until('execute long')
    await runtime.pause(run.id)
    await until('pause long')
    await runtime.resume(run.id)
    await until('resume long')
    release()
    const done = await runtime.wait(run.id)
    expect(done.status).toBe('succeeded')
    expect(calls).toEqual(['execute long', 'pause long', 'resume long'])
  })

  it("streams a running attempt's backend events to the run's log before its result", async () => {
    const shared = store()
    await shared.init()
    let release!: () => void
    const released = new Promise<void>((r) => (release = r))
    const talkative: Backend = stubBackend({
      id: 'echo',
      capabilities: { events: true },
      async execute(req, ctx) {
        ctx.emit({ type: 'message', text: `working on ${req.taskId}` })
        ctx.emit({ type: 'tool_start', toolId: 't1', name: 'grep', input: { q: 'x' } })
        await released
        ctx.emit({ type: 'message', text: 'almost done' })
        return { output: 'done' }
      },
    })
    const { runtime, run } = await ownerAndWorker(shared, talkative, { name: 'sw', streamMs: 20 })
    const texts = async () => JSON.stringify(await shared.events.read(run.id, { limit: 1000 }))
    // While the task still runs on the worker, its first message is in the run's log.
    for (let i = 0; i < 500 && !(await texts()).includes('working on long'); i++) await sleep(10)
    expect(await texts()).toContain('working on long')
    expect((await shared.tasks.get(run.id, 'long'))?.status).toBe('running')
    release()
    expect((await runtime.wait(run.id)).status).toBe('succeeded')
    const events = await shared.events.read(run.id, { limit: 1000 })
    const at = (needle: string) => events.findIndex((e) => JSON.stringify(e.data).includes(needle))
    const succeeded = events.findIndex((e) => e.type === 'task.succeeded')
    // Each once, in the order the backend reported them, all before the result.
    expect(at('working on long')).toBeGreaterThan(-1)
    expect(at('working on long')).toBeLessThan(at('grep'))
    expect(at('grep')).toBeLessThan(at('almost done'))
    expect(at('almost done')).toBeLessThan(succeeded)
    expect(events.filter((e) => JSON.stringify(e.data).includes('working on long'))).toHaveLength(1)
  })

  it('warns in the task log when no live worker has the backend of a queued attempt, and runs it once one starts', async () => {
    const shared = store()
    await shared.init()
    const owner = newOwnerName()
    const executor = createQueueExecutor({
      store: shared,
      owner,
      pollMs: 20,
      unservedMs: 200,
      localBackends: () => ['shell'],
    })
    const runtime = createRuntime({ store: shared, backends: [echo], owner, executor })
    cleanups.push(() => runtime.close())
    cleanups.push(() => executor.close())
    // A worker with other backends only: it does not serve `echo`.
    const other = new Worker({ store: shared, name: 'other', backends: new Map([['shell', echo]]) })
    await other.start()
    cleanups.push(() => other.stop(0))
    const run = await runtime.start({
      workflow: { weft: 1, name: 'unserved', tasks: { a: { backend: 'echo', prompt: 'x' } } } as never,
    })
    const warned = async () =>
      (await shared.events.read(run.id, { limit: 1000 })).filter((e) =>
        JSON.stringify(e.data).includes("no live worker has backend 'echo'"),
      )
    for (let i = 0; i < 300 && (await warned()).length === 0; i++) await sleep(10)
    expect(await warned()).toHaveLength(1)
    expect((await warned())[0]).toMatchObject({ taskId: 'a', severity: 'warn' })
    const worker = new Worker({ store: shared, name: 'echoes', backends: new Map([['echo', echo]]) })
    await worker.start()
    cleanups.push(() => worker.stop(0))
    expect((await runtime.wait(run.id)).status).toBe('succeeded')
    // Told once, however long it waited.
    expect(await warned()).toHaveLength(1)
  })

  it('a name held by a live worker is refused; a stopped one is taken over', async () => {
    const shared = store()
    const backends = new Map([['echo', echo]])
    const a = new Worker({ store: shared, name: 'same', backends, leaseMs: 5000 })
    await a.start()
    // Ready, and its record says so at once (not at the first heartbeat, a third of the lease on).
    expect((await workerRecords(shared).get('same'))?.status).toBe('idle')
    const b = new Worker({ store: shared, name: 'same', backends, leaseMs: 5000 })
    await expect(b.start()).rejects.toMatchObject({ code: 'conflict' })
    await a.stop(0)
    expect((await workerRecords(shared).get('same'))?.status).toBe('stopped')
    await b.start()
    cleanups.push(() => b.stop(0))
    expect((await workerRecords(shared).get('same'))?.owner).toBe(b.owner)
  })

  it('a name last held by a process on another host is taken over once its record expires', async () => {
    const shared = store()
    await shared.init()
    const { db, s } = internalsOf(shared)
    await db.execute(
      `INSERT INTO ${s}workers (name, owner, host, pid, status, capacity, backends, expires_at)
       VALUES ('moved', 'elsewhere:4242:1:abcdef', 'elsewhere', 4242, 'busy', 2, '{echo}', now() + interval '400 milliseconds')`,
    )
    const lines: string[] = []
    const w = new Worker({
      store: shared,
      name: 'moved',
      backends: new Map([['echo', echo]]),
      leaseMs: 300,
      log: (l) => lines.push(l),
    })
    await w.start()
    cleanups.push(() => w.stop(0))
    expect(lines.some((l) => l.startsWith('waiting for the record of moved'))).toBe(true)
    expect((await workerRecords(shared).get('moved'))?.owner).toBe(w.owner)
  })

  it('an operator pauses a worker (it hands back and claims nothing), resumes it, and asks it to stop', async () => {
    const { shared, db, s: schema, q } = await queueStore()
    let started = 0
    const slow: Backend = stubBackend({
      id: 'slow',
      async execute(_req, ctx) {
        started++
        await new Promise((r, reject) => {
          const t = setTimeout(r, 10_000)
          ctx.signal.addEventListener('abort', () => {
            clearTimeout(t)
            reject(new Error('aborted'))
          })
        })
        return { output: 'done' }
      },
    })
    let stopAsked = false
    const w = new Worker({
      store: shared,
      name: 'op',
      backends: new Map([['slow', slow]]),
      leaseMs: 3000,
      pollMs: 20,
      onStopRequested: () => {
        stopAsked = true
      },
    })
    await w.start()
    cleanups.push(() => w.stop(0))
    await shared.commit(taskLessRun('run_op', 'op'))
    const key = { runId: 'run_op', taskId: 'a', attempt: 1 }
    await q.enqueue('o', [{ ...key, backend: 'slow', priority: 50, request: '{}' }])
    const until = async (check: () => Promise<boolean> | boolean) => {
      for (let i = 0; i < 200 && !(await check()); i++) await sleep(50)
      expect(await check()).toBe(true)
    }
    await until(() => w.running === 1)
    const ask = async (desired: string) => {
      await db.execute(`UPDATE ${schema}workers SET desired = $2 WHERE name = $1`, ['op', desired])
      await db.query("SELECT pg_notify('weft_agents', 'op')")
    }
    await ask('pause')
    await until(async () => (await workerRecords(shared).get('op'))?.status === 'paused')
    expect(w.running).toBe(0)
    const [lost] = (await q.take('o')).results
    expect(lost?.status).toBe('lost')
    // Paused: a queued attempt waits.
    await q.enqueue('o', [{ ...key, attempt: 2, backend: 'slow', priority: 50, request: '{}' }])
    await sleep(300)
    expect(started).toBe(1)
    await ask('run')
    await until(() => started === 2)
    await ask('stop')
    await until(() => stopAsked)
  })

  it('a run canceled while its attempts wait in the queue cancels them there, and no worker runs them later', async () => {
    const shared = store()
    await shared.init()
    const runtime = queueOwner(shared)
    const run = await runtime.start({
      workflow: {
        weft: 1,
        name: 'queued-cancel',
        tasks: { a: { backend: 'echo' }, b: { backend: 'echo' } },
      } as never,
    })
    const { db, s } = internalsOf(shared)
    const queued = async () =>
      (await db.query<[string, string]>(`SELECT task_id, status FROM ${s}task_queue ORDER BY task_id`)).map(
        ([task, status]) => `${task}:${status}`,
      )
    for (let i = 0; i < 300 && (await queued()).length < 2; i++) await sleep(10)
    expect(await queued()).toEqual(['a:queued', 'b:queued'])
    await runtime.cancel(run.id, 'not needed')
    const done = await runtime.wait(run.id)
    expect(done.status).toBe('canceled')
    for (let i = 0; i < 300 && (await queued()).some((r) => r.endsWith(':queued')); i++) await sleep(10)
    expect(await queued()).toEqual(['a:canceled', 'b:canceled'])
    // A worker that starts now finds nothing to claim.
    let ran = 0
    const counting = stubBackend({
      id: 'echo',
      async execute() {
        ran++
        return { output: null }
      },
    })
    const w = new Worker({ store: shared, name: 'late', backends: new Map([['echo', counting]]), pollMs: 20 })
    await w.start()
    cleanups.push(() => w.stop(0))
    await sleep(200)
    expect(ran).toBe(0)
    const tasks = await shared.tasks.list(run.id)
    expect(tasks.map((t) => t.status)).toEqual(['canceled', 'canceled'])
  })
})
