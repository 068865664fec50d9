import { spawn } from 'node:child_process'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type Commit, newRunId } from '@weft/core'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createPostgresStore, plugin, SCHEMA_VERSION } from '../src/index.js'
import { MIGRATIONS } from '../src/migrations.js'
import { databaseUrl, dropSchema, newSchema, sql, testDb } from './schemas.js'

const packageDir = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const schemas: string[] = []
/** A schema for this test, dropped after it. */
function schema(): string {
  const name = newSchema()
  schemas.push(name)
  return name
}
afterEach(async () => {
  vi.useRealTimers()
  for (const name of schemas.splice(0)) await dropSchema(name)
})

function createCommit(runId: string, name = 'pg-test'): Commit {
  const now = new Date().toISOString()
  const spec: NonNullable<Commit['create']>['spec'] = {
    workflow: { weft: 1, name, tasks: { a: { prompt: 'a' } } },
    inputs: {},
    initiator: 'code',
    tags: ['t'],
  }
  const zero = {
    pending: 0,
    queued: 0,
    running: 0,
    retrying: 0,
    waiting: 0,
    succeeded: 0,
    failed: 0,
    canceled: 0,
    skipped: 0,
  }
  return {
    runId,
    create: { spec },
    run: {
      id: runId,
      name,
      status: 'pending',
      health: 'ok',
      initiator: 'code',
      tags: ['t'],
      createdAt: now,
      updatedAt: now,
      usage: { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 },
      taskCounts: { ...zero, pending: 1, total: 1 },
      diagnostics: [],
      lastSeq: 0,
    },
    tasks: [{ runId, taskId: 'a', status: 'pending', attempt: 0, priority: 50, order: 0, needs: [] }],
    events: [{ type: 'log', ts: now, data: { message: 'one' } }],
  }
}

/** A store on a schema of its own, with one run committed (`createCommit`). */
async function storeWithRun() {
  const name = schema()
  const store = createPostgresStore({ url: databaseUrl(), schema: name })
  const runId = newRunId()
  const commit = createCommit(runId)
  await store.commit(commit)
  return { name, store, runId, commit }
}

/**
 * What a worker's claim will do: lock the most urgent queued task, skipping ones another claim
 * holds, and take its lease in the same statement. Returns the claimed task's run id and task id.
 */
function claimSql(name: string): string {
  return `UPDATE "${name}".tasks t SET lease_owner = $1, lease_expires_at = now() + interval '30 seconds'
    FROM (SELECT run_id, task_id FROM "${name}".tasks WHERE status = 'queued' AND lease_owner IS NULL
          ORDER BY priority, run_id, ord LIMIT 1 FOR UPDATE SKIP LOCKED) c
    WHERE t.run_id = c.run_id AND t.task_id = c.task_id RETURNING t.run_id, t.task_id`
}

describe('postgres store', () => {
  it('names itself without the password, declares every capability and connects only when used', async () => {
    const url = new URL(databaseUrl())
    url.password = 'secret-pw'
    const store = createPostgresStore({ url: url.toString(), schema: 'custom_schema' })
    expect(store.id).not.toContain('secret-pw')
    expect(store.id).toMatch(
      /^postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:5432\/weft_test_[0-9a-f]+#custom_schema$/,
    )
    expect(store.capabilities).toEqual({
      transactions: true,
      multiProcess: true,
      leases: true,
      signals: true,
      artifacts: true,
      memory: true,
      idempotency: true,
      queue: true,
      schedules: true,
      agents: true,
    })
    // Created and closed without a call: no connection was made, no schema created.
    await store.close()
    expect(await sql("SELECT 1 FROM pg_namespace WHERE nspname = 'custom_schema'")).toEqual([])
  })

  it('keeps its tables in the schema it is given, by option or by ?schema=, apart from other schemas', async () => {
    const one = schema()
    const two = schema()
    const a = createPostgresStore({ url: databaseUrl(), schema: one })
    const b = createPostgresStore({ url: `${databaseUrl()}?schema=${two}` })
    const runId = newRunId()
    await a.commit(createCommit(runId, 'in-one'))
    expect((await a.runs.get(runId))?.name).toBe('in-one')
    expect(await b.runs.get(runId)).toBeUndefined()
    expect(b.id.endsWith(`#${two}`)).toBe(true)
    const tables = await sql<{ table_schema: string }>(
      "SELECT DISTINCT table_schema FROM information_schema.tables WHERE table_name = 'events' AND table_schema = ANY($1)",
      [[one, two]],
    )
    expect(tables.map((t) => t.table_schema).sort()).toEqual([one, two].sort())
    await a.close()
    await b.close()
    expect(() => createPostgresStore({ url: databaseUrl(), schema: 'bad"name' })).toThrow(/schema name/)
  })

  it('keeps everything across close and reopen, and is closed for good after close()', async () => {
    const name = schema()
    const runId = newRunId()
    const first = createPostgresStore({ url: databaseUrl(), schema: name })
    await first.commit(createCommit(runId))
    await first.commit({
      runId,
      events: [{ type: 'log', ts: new Date().toISOString(), data: { message: 'two' } }],
    })
    await first.close()
    await first.close()
    await expect(first.runs.get(runId)).rejects.toMatchObject({ name: 'WeftError', code: 'internal' })

    const second = createPostgresStore({ url: databaseUrl(), schema: name })
    expect((await second.runs.get(runId))?.lastSeq).toBe(2)
    expect((await second.events.read(runId)).map((e) => e.seq)).toEqual([1, 2])
    expect((await second.commit({ runId, expectLastSeq: 2, events: [] })).length).toBe(0)
    await second.close()
  })

  it('is served by its plugin under the postgres and postgresql schemes', async () => {
    expect(plugin.stores?.map((s) => s.scheme)).toEqual(['postgres', 'postgresql'])
    const name = schema()
    const url = `${databaseUrl().replace(/^postgres:/, 'postgresql:')}?schema=${name}`
    const store = await plugin.stores![1]!.create(url)
    await store.init()
    const runId = newRunId()
    await store.commit(createCommit(runId))
    expect((await store.runs.get(runId))?.id).toBe(runId)
    await store.close()
  })

  it('says where it could not connect, and connects once the problem is gone', async () => {
    const store = createPostgresStore({ url: 'postgres://postgres@127.0.0.1:1/nowhere' })
    const err = await store.init().then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(err).toMatchObject({ name: 'WeftError', code: 'internal' })
    expect((err as Error).message).toContain('postgres://postgres@127.0.0.1:1/nowhere')
    await store.close()

    const missing = databaseUrl().replace(/weft_test_[0-9a-f]+/, 'weft_test_does_not_exist')
    const other = createPostgresStore({ url: missing })
    await expect(other.init()).rejects.toMatchObject({
      code: 'internal',
      message: expect.stringMatching(/does not exist/),
    })
    await other.close()
  })

  it('keeps working after the server ends its connections (a restart, an administrator)', async () => {
    const store = createPostgresStore({
      url: databaseUrl(),
      schema: schema(),
      applicationName: 'weft-kick-test',
    })
    const runId = newRunId()
    await store.commit(createCommit(runId))
    await Promise.all([store.runs.get(runId), store.events.read(runId), store.tasks.list(runId)])
    const killed = await sql<{ ok: boolean }>(
      "SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE application_name = 'weft-kick-test'",
    )
    expect(killed.length).toBeGreaterThan(0)
    // The pool drops the dead connections as their end arrives, and opens new ones on demand.
    await new Promise((r) => setTimeout(r, 200))
    const log = { type: 'log' as const, ts: new Date().toISOString(), data: { message: 'after' } }
    expect((await store.commit({ runId, events: [log] }))[0]!.seq).toBe(2)
    expect((await store.runs.get(runId))?.lastSeq).toBe(2)
    await store.close()
  })

  it('compares leases with the database clock, not with the clock of the process', async () => {
    const store = createPostgresStore({ url: databaseUrl(), schema: schema() })
    const runId = newRunId()
    await store.commit(createCommit(runId))
    const [{ now }] = (await sql<{ now: Date }>('SELECT now()')) as [{ now: Date }]
    // This process's clock runs two hours ahead: were it used, every lease would be long expired.
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + 2 * 3600_000 })
    const held = await store.leases.acquire(runId, 'owner-a', 60_000)
    expect(held.acquired).toBe(true)
    const expires = Date.parse(held.lease.expiresAt)
    expect(Math.abs(expires - (now.getTime() + 60_000))).toBeLessThan(5_000)
    expect(await store.leases.acquire(runId, 'owner-b', 60_000)).toEqual({
      acquired: false,
      lease: held.lease,
    })
    // And the other way: a lease the database considers expired is free, whatever this clock says.
    vi.setSystemTime(now.getTime() - 2 * 3600_000)
    await sql(`UPDATE "${schemas.at(-1)}".run_leases SET expires_at = now() - interval '1 second'`)
    expect((await store.leases.acquire(runId, 'owner-b', 60_000)).acquired).toBe(true)
    vi.useRealTimers()
    await store.close()
  })
})

describe('postgres tasks table (for workers that claim tasks)', () => {
  it('mirrors status, attempt and priority of each task state in columns a claim can lock with SKIP LOCKED', async () => {
    const { name, store, runId, commit } = await storeWithRun()
    const queued = { ...commit.tasks![0]!, status: 'queued' as const, priority: 10 }
    const extra = { ...queued, taskId: 'b', order: 1, priority: 90 }
    await store.commit({ runId, tasks: [queued, extra], events: [] })
    const rows = await sql<{ task_id: string; status: string; attempt: number; priority: number }>(
      `SELECT task_id, status, attempt, priority FROM "${name}".tasks WHERE run_id = $1 ORDER BY ord`,
      [runId],
    )
    expect(rows).toEqual([
      { task_id: 'a', status: 'queued', attempt: 0, priority: 10 },
      { task_id: 'b', status: 'queued', attempt: 0, priority: 90 },
    ])
    // Two claims at once get different tasks.
    const claim = claimSql(name)
    const [first, second] = await Promise.all([sql(claim, ['w1']), sql(claim, ['w2'])])
    const claimed = [...first!, ...second!].map((r) => r.task_id).sort()
    expect(claimed.length).toBeGreaterThanOrEqual(1)
    expect(new Set(claimed).size).toBe(claimed.length)
    // A commit of task states leaves a claim's lease columns alone.
    await store.commit({ runId, tasks: [{ ...queued, status: 'running', attempt: 1 }], events: [] })
    const leases = await sql<{ n: number }>(
      `SELECT count(*)::int AS n FROM "${name}".tasks WHERE lease_owner IS NOT NULL`,
    )
    expect(leases[0]!.n).toBe(claimed.length)
    await store.close()
  })
})

describe('a task claim and its events in one transaction (what workers will do)', () => {
  it('commits both or neither', async () => {
    const { name, store, runId, commit } = await storeWithRun()
    await store.commit({ runId, tasks: [{ ...commit.tasks![0]!, status: 'queued' }], events: [] })
    const { commitApplier } = await import('../src/commit.js')
    const { qualify } = await import('../src/location.js')
    const db = testDb()
    const apply = commitApplier(qualify(name))
    const claim = claimSql(name)
    const started = (taskId: string) => ({
      runId,
      tasks: [{ ...commit.tasks![0]!, taskId, status: 'running' as const, attempt: 1 }],
      events: [{ type: 'log' as const, ts: new Date().toISOString(), taskId, data: { message: 'claimed' } }],
    })

    // A claim whose transaction fails after its events were written: neither stays.
    await expect(
      db.tx(async (q) => {
        const [claimed] = await q.query<[string, string]>(claim, ['worker-1'])
        await apply(q, started(claimed![1]))
        throw new Error('the worker died before COMMIT')
      }),
    ).rejects.toThrow(/worker died/)
    expect((await store.tasks.get(runId, 'a'))?.status).toBe('queued')
    expect(await store.events.read(runId, { afterSeq: 1 })).toEqual([])
    expect(await sql(`SELECT 1 FROM "${name}".tasks WHERE lease_owner IS NOT NULL`)).toEqual([])

    // The same claim committed: the lease, the task state and the event, together.
    const stored = await db.tx(async (q) => {
      const [claimed] = await q.query<[string, string]>(claim, ['worker-1'])
      return apply(q, started(claimed![1]))
    })
    expect(stored.map((e) => e.seq)).toEqual([2])
    expect((await store.tasks.get(runId, 'a'))?.status).toBe('running')
    const leased = await sql<{ lease_owner: string }>(
      `SELECT lease_owner FROM "${name}".tasks WHERE task_id = 'a'`,
    )
    expect(leased).toEqual([{ lease_owner: 'worker-1' }])
    // Nothing else is queued: a second worker finds nothing to claim.
    expect(await db.tx((q) => q.query(claim, ['worker-2']))).toEqual([])
    await db.close()
    await store.close()
  })
})

describe('postgres migrations', () => {
  it('records every migration once, however often and by however many stores the schema is opened', async () => {
    const name = schema()
    const stores = Array.from({ length: 4 }, () => createPostgresStore({ url: databaseUrl(), schema: name }))
    await Promise.all(stores.map((s) => s.init()))
    await stores[0]!.init()
    const rows = await sql<{ version: number; name: string }>(
      `SELECT version, name FROM "${name}".weft_schema ORDER BY version`,
    )
    expect(rows.map((r) => r.version)).toEqual(MIGRATIONS.map((m) => m.version))
    expect(rows.at(-1)!.version).toBe(SCHEMA_VERSION)
    for (const s of stores) await s.close()
  })

  it('refuses a schema written by a newer weft with store_version, and leaves it untouched', async () => {
    const { name, store, runId } = await storeWithRun()
    await store.close()
    await sql(`INSERT INTO "${name}".weft_schema (version, name) VALUES ($1, 'from the future')`, [
      SCHEMA_VERSION + 1,
    ])

    const newer = createPostgresStore({ url: databaseUrl(), schema: name })
    const err = await newer.init().then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(err).toMatchObject({
      name: 'WeftError',
      code: 'store_version',
      details: { databaseVersion: SCHEMA_VERSION + 1, knownVersion: SCHEMA_VERSION, schema: name },
    })
    expect((err as Error).message).toMatch(/knows versions up to/)
    await expect(newer.runs.get(runId)).rejects.toMatchObject({ code: 'store_version' })
    await newer.close()
    const [{ n }] = (await sql<{ n: number }>(`SELECT count(*)::int AS n FROM "${name}".runs`)) as [
      { n: number },
    ]
    expect(n).toBe(1)
  })

  it('brings up several processes started at the same moment against an empty schema', async () => {
    const name = schema()
    const racers = Array.from({ length: 4 }, () =>
      spawn(
        process.execPath,
        ['--conditions=development', '--import', 'tsx', 'test/fixtures/start.ts', databaseUrl(), name],
        {
          cwd: packageDir,
          stdio: ['pipe', 'pipe', 'pipe'],
        },
      ),
    )
    const results = racers.map(
      (child) =>
        new Promise<{ code: number | null; out: string; err: string }>((done) => {
          let out = ''
          let err = ''
          child.stdout.setEncoding('utf8').on('data', (c: string) => {
            out += c
          })
          child.stderr.setEncoding('utf8').on('data', (c: string) => {
            err += c
          })
          child.on('close', (code) => done({ code, out, err }))
        }),
    )
    // Every child waits for "go" after loading, so that all of them open the store at once.
    await new Promise((r) => setTimeout(r, 1500))
    for (const child of racers) child.stdin.end('go\n')
    const ended = await Promise.all(results)
    for (const r of ended) expect(r, r.err).toMatchObject({ code: 0 })
    const lines = ended.map((r) => JSON.parse(r.out.trim()) as { step: string; runId: string })
    expect(lines.every((l) => l.step === 'up')).toBe(true)
    const runs = await sql<{ id: string }>(`SELECT id FROM "${name}".runs`)
    expect(runs.map((r) => r.id).sort()).toEqual(lines.map((l) => l.runId).sort())
    const versions = await sql<{ version: number }>(`SELECT version FROM "${name}".weft_schema`)
    expect(versions.map((v) => v.version)).toEqual(MIGRATIONS.map((m) => m.version))
  })

  it('upgrades a version-1 schema to the current one in place, keeping its rows', async () => {
    const name = schema()
    const { migrate } = await import('../src/migrations.js')
    const db = testDb()
    expect(await migrate(db.raw, name, 'test', MIGRATIONS.slice(0, 1))).toBe(1)
    await db.close()
    // A run written the way version 1 stored runs, before weft_commit existed.
    const runId = newRunId()
    const commit = createCommit(runId)
    await sql(
      `INSERT INTO "${name}".runs (id, name, status, created_at, updated_at, summary, last_seq)
      VALUES ($1, 'pg-test', 'pending', $2, $2, $3, 1)`,
      [runId, commit.run!.createdAt, JSON.stringify(commit.run)],
    )
    await sql(`INSERT INTO "${name}".run_specs (run_id, spec) VALUES ($1, $2)`, [
      runId,
      JSON.stringify(commit.create!.spec),
    ])
    await sql(
      `INSERT INTO "${name}".events (run_id, seq, ts, type, severity, data) VALUES ($1, 1, $2, 'log', 'info', '{"message":"one"}')`,
      [runId, commit.run!.createdAt],
    )

    const store = createPostgresStore({ url: databaseUrl(), schema: name })
    const stored = await store.commit({
      runId,
      expectLastSeq: 1,
      events: [{ type: 'log', ts: new Date().toISOString(), data: { message: 'two' } }],
    })
    expect(stored[0]!.seq).toBe(2)
    expect((await store.events.read(runId)).map((e) => (e.data as { message: string }).message)).toEqual([
      'one',
      'two',
    ])
    expect((await store.runs.get(runId))?.lastSeq).toBe(2)
    await store.close()
    const versions = await sql<{ version: number }>(
      `SELECT version FROM "${name}".weft_schema ORDER BY version`,
    )
    expect(versions.map((v) => v.version)).toEqual(MIGRATIONS.map((m) => m.version))
  })

  it('rolls back a failing migration whole, leaving the schema as it was', async () => {
    const name = schema()
    const store = createPostgresStore({ url: databaseUrl(), schema: name })
    await store.init()
    await store.close()
    const { migrate } = await import('../src/migrations.js')
    const db = testDb()
    const broken = [
      ...MIGRATIONS,
      { version: SCHEMA_VERSION + 1, name: 'ok', sql: 'CREATE TABLE {s}extra (x int);' },
      { version: SCHEMA_VERSION + 2, name: 'broken', sql: 'CREATE TABLE {s}nope (x no_such_type);' },
    ]
    await expect(migrate(db.raw, name, 'test', broken)).rejects.toThrow(/no_such_type/)
    await db.close()
    expect(
      await sql(`SELECT 1 FROM information_schema.tables WHERE table_schema = $1 AND table_name = 'extra'`, [
        name,
      ]),
    ).toEqual([])
    const versions = await sql<{ version: number }>(
      `SELECT max(version)::int AS version FROM "${name}".weft_schema`,
    )
    expect(versions[0]!.version).toBe(SCHEMA_VERSION)
  })
})
