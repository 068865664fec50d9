import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type Commit, type FullStore, newRunId, type RunLease, type RunSummary } from '@weft/core'
import { describeStore, firstCommit, logNow, reopeningStore, startJsonLinesChild } from '@weft/testing'
import { afterAll, describe, expect, it } from 'vitest'
import { type Database, openDatabase } from '../src/driver.js'
import { createSqliteStore, plugin, SCHEMA_VERSION } from '../src/index.js'
import { MIGRATIONS, migrate, schemaVersion } from '../src/migrations.js'

const packageDir = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const root = mkdtempSync(join(tmpdir(), 'weft-sqlite-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))

let counter = 0
/** A path in a directory that does not exist yet: the store must create it. */
const newDbPath = () => join(root, `db-${++counter}`, 'nested', 'weft.db')

describeStore('sqlite', async () => {
  const path = newDbPath()
  // `openAgain`: a second connection to the same file, as another process opens it.
  return { store: createSqliteStore({ path }), openAgain: () => createSqliteStore({ path }) }
})

// Every commit closes the database and opens it again, so every read comes from the file.
describeStore('sqlite, reopened after every commit', async () => {
  const path = newDbPath()
  return { store: reopeningStore(() => createSqliteStore({ path })) }
})

describeStore('sqlite :memory:', async () => ({ store: createSqliteStore({ path: ':memory:' }) }))

const log = logNow

/** A connection of the test's own, beside the store's, through the store's driver. */
function openRaw(path: string, options: { readOnly?: boolean; timeout?: number } = {}): Database {
  return openDatabase(path, { timeoutMs: options.timeout ?? 0, readOnly: options.readOnly })
}
const createCommit = (runId: string, name = 'sqlite-test'): Commit => firstCommit(runId, name)

/** A database at schema `version` (its migrations only), as an older @weft/storage-sqlite left it. */
function databaseAt(path: string, version: number): Database {
  mkdirSync(dirname(path), { recursive: true })
  const db = openRaw(path)
  db.pragma('journal_mode = WAL')
  expect(
    migrate(
      db,
      MIGRATIONS.filter((m) => m.version <= version),
    ),
  ).toBe(version)
  return db
}

/** The run of `commit` as schema versions 1 to 3 stored it: summary and spec in `runs`, lastSeq 3. */
function insertOldRun(db: Database, commit: Commit, summary: RunSummary): void {
  db.prepare(
    'INSERT INTO runs (id, name, status, created_at, updated_at, summary, spec, last_seq) VALUES (?, ?, ?, ?, ?, ?, ?, 3)',
  ).run(
    commit.runId,
    summary.name,
    summary.status,
    summary.createdAt,
    summary.updatedAt,
    JSON.stringify(summary),
    JSON.stringify(commit.create!.spec),
  )
}

/** The tag `t`, the task and the events of `commit` as schema versions 1 and 2 stored them. */
function insertOldRows(db: Database, commit: Commit): void {
  const { runId } = commit
  const task = commit.tasks![0]!
  db.prepare('INSERT INTO run_tags (run_id, tag) VALUES (?, ?)').run(runId, 't')
  db.prepare('INSERT INTO tasks (run_id, task_id, ord, status, state) VALUES (?, ?, ?, ?, ?)').run(
    runId,
    task.taskId,
    task.order,
    task.status,
    JSON.stringify(task),
  )
  const insertEvent = db.prepare(
    'INSERT INTO events (run_id, seq, ts, type, severity, data) VALUES (?, ?, ?, ?, ?, ?)',
  )
  for (const [i, e] of commit.events.entries()) {
    insertEvent.run(runId, i + 1, e.ts, e.type, 'info', JSON.stringify(e.data))
  }
}

async function openStore(path: string): Promise<FullStore> {
  const store = createSqliteStore({ path })
  await store.init()
  return store
}

describe('sqlite store', () => {
  it('creates the parent directory, names itself by absolute path and uses WAL', async () => {
    const path = newDbPath()
    expect(existsSync(dirname(path))).toBe(false)
    const relative = join(root, `rel-${++counter}`, 'weft.db').replace(`${process.cwd()}/`, '')
    const store = createSqliteStore({ path })
    expect(store.id).toBe(`sqlite:${path}`)
    const optional = {
      leases: true,
      signals: true,
      artifacts: true,
      memory: true,
      idempotency: true,
      dataflow: true,
      queue: true,
      schedules: true,
    }
    expect(store.capabilities).toEqual({ transactions: true, multiProcess: true, ...optional })
    // Only this process can open a :memory: database, so its leases are exact for every process.
    expect(createSqliteStore({ path: ':memory:' }).capabilities).toEqual({
      transactions: true,
      multiProcess: false,
      ...optional,
    })
    await store.init()
    expect(existsSync(path)).toBe(true)
    await store.close()

    const raw = openRaw(path, { readOnly: true })
    expect(raw.pragma('journal_mode', { simple: true })).toBe('wal')
    raw.close()
    expect(createSqliteStore({ path: relative }).id).toBe(`sqlite:${resolve(relative)}`)
  })

  it('keeps everything across close and reopen', async () => {
    const path = newDbPath()
    const runId = newRunId()
    const first = await openStore(path)
    const commit = createCommit(runId)
    await first.commit(commit)
    await first.commit({
      runId,
      tasks: [{ ...commit.tasks![0]!, status: 'running', attempt: 1 }],
      events: [log('four')],
    })
    const signal = await first.signals!.send({ runId, kind: 'pause', data: { why: 'test' } })
    const artifact = await first.artifacts!.put({
      runId,
      taskId: 'a',
      name: 'out/data.bin',
      contentType: 'application/octet-stream',
      data: new Uint8Array([0, 1, 2, 255]),
    })
    const lease = await first.leases!.acquire(runId, 'first', 60_000)
    const before = {
      summary: await first.runs.get(runId),
      spec: await first.runs.getSpec(runId),
      tasks: await first.tasks.list(runId),
      events: await first.events.read(runId),
      list: await first.runs.list(),
    }
    await first.close()

    const second = await openStore(path)
    expect({
      summary: await second.runs.get(runId),
      spec: await second.runs.getSpec(runId),
      tasks: await second.tasks.list(runId),
      events: await second.events.read(runId),
      list: await second.runs.list(),
    }).toEqual(before)
    expect(before.summary?.lastSeq).toBe(4)
    expect(await second.signals!.receive([runId], 0)).toEqual([signal])
    expect(await second.signals!.lastId()).toBe(signal.id)
    expect(await second.artifacts!.list(runId)).toEqual([artifact])
    expect([...(await second.artifacts!.get(runId, 'out/data.bin'))!.data]).toEqual([0, 1, 2, 255])
    // The lease outlives the process that took it: that is what makes it ownership.
    expect(await second.leases!.get(runId)).toEqual(lease.lease)
    expect(await second.leases!.acquire(runId, 'second', 60_000)).toEqual({
      acquired: false,
      lease: lease.lease,
    })
    // Seqs and signal ids continue where the first process stopped.
    expect((await second.commit({ runId, expectLastSeq: 4, events: [log('five')] }))[0]!.seq).toBe(5)
    expect((await second.signals!.send({ runId, kind: 'resume' })).id).toBeGreaterThan(signal.id)
    await second.close()
  })

  it('keeps tags, indexed summary fields and task order right when commits skip unchanged ones', async () => {
    const store = await openStore(newDbPath())
    const runId = newRunId()
    const commit = createCommit(runId)
    await store.commit(commit)
    const summary = commit.run!
    const task = commit.tasks![0]!
    const tagged = async (tag: string) => (await store.runs.list({ tag })).items.map((r) => r.id)
    // Same tags, name and status: only the summary text moves.
    await store.commit({
      runId,
      run: { ...summary, updatedAt: new Date().toISOString() },
      events: [log('a')],
    })
    expect(await tagged('t')).toEqual([runId])
    // New tags and status: the side tables follow.
    await store.commit({
      runId,
      run: { ...summary, status: 'running', tags: ['x', 'y'] },
      events: [log('b')],
    })
    expect(await tagged('t')).toEqual([])
    expect(await tagged('y')).toEqual([runId])
    expect((await store.runs.list({ status: ['running'] })).items.map((r) => r.id)).toEqual([runId])
    expect((await store.runs.counts()).running).toBe(1)
    // The same tags in another order are the same tags.
    await store.commit({ runId, run: { ...summary, status: 'running', tags: ['y', 'x', 'x'] }, events: [] })
    expect(await tagged('x')).toEqual([runId])
    // A task moved to another order, and a task first written by a later commit.
    const other = { ...task, taskId: 'b', order: 5 }
    await store.commit({
      runId,
      tasks: [{ ...task, order: 9, status: 'running' }, other],
      events: [log('c')],
    })
    expect((await store.tasks.list(runId)).map((t) => [t.taskId, t.order, t.status])).toEqual([
      ['b', 5, other.status],
      ['a', 9, 'running'],
    ])
    expect((await store.runs.get(runId))?.lastSeq).toBe(commit.events.length + 3)
    await store.close()
  })

  it('is closed for good after close(), which may be called again', async () => {
    const store = await openStore(newDbPath())
    await store.close()
    await store.close()
    await expect(store.runs.list()).rejects.toMatchObject({ name: 'WeftError', code: 'internal' })
  })

  it('is served by its plugin under the sqlite scheme', async () => {
    expect(plugin.name).toBe('@weft/storage-sqlite')
    expect(plugin.specificationVersion).toBe('weft.plugin.v1')
    const factory = plugin.stores?.find((s) => s.scheme === 'sqlite')
    expect(factory).toBeDefined()
    const path = newDbPath()
    for (const location of [path, `sqlite:${path}`]) {
      const store = await factory!.create(location)
      expect(store.id).toBe(`sqlite:${path}`)
      await store.init()
      await store.close()
    }
  })
})

describe('sqlite migrations', () => {
  const versions = (path: string) => {
    const raw = openRaw(path, { readOnly: true })
    try {
      return raw.prepare('SELECT version FROM weft_schema ORDER BY version').pluck().all() as number[]
    } finally {
      raw.close()
    }
  }

  /**
   * A new database at schema `version` holding one run as versions 1 to 3 stored it (lastSeq 3),
   * still open for the rows the test adds.
   */
  function oldDatabaseWithRun(version: number) {
    const path = newDbPath()
    const runId = newRunId()
    const commit = createCommit(runId)
    const summary = { ...commit.run!, lastSeq: 3 }
    const old = databaseAt(path, version)
    insertOldRun(old, commit, summary)
    return { path, runId, commit, summary, old }
  }

  /** The store on an old database, which it migrated to the current schema keeping the old run. */
  async function upgradedStore({ path, runId, commit, summary }: ReturnType<typeof oldDatabaseWithRun>) {
    const store = await openStore(path)
    expect(versions(path)).toEqual(MIGRATIONS.map((m) => m.version))
    expect(await store.runs.get(runId)).toEqual(summary)
    expect(await store.runs.getSpec(runId)).toEqual(commit.create!.spec)
    return store
  }

  it('records every migration once, however often the store is opened', async () => {
    const path = newDbPath()
    const store = await openStore(path)
    await store.init()
    await store.init()
    await store.close()
    for (let i = 0; i < 3; i++) await (await openStore(path)).close()
    expect(versions(path)).toEqual(MIGRATIONS.map((m) => m.version))
    expect(SCHEMA_VERSION).toBe(MIGRATIONS[MIGRATIONS.length - 1]!.version)
  })

  it('refuses a database written by a newer schema with store_version, and leaves it untouched', async () => {
    const path = newDbPath()
    const runId = newRunId()
    const store = await openStore(path)
    await store.commit(createCommit(runId))
    await store.close()

    const raw = openRaw(path)
    raw
      .prepare('INSERT INTO weft_schema (version, name, applied_at) VALUES (?, ?, ?)')
      .run(SCHEMA_VERSION + 1, 'from the future', new Date().toISOString())
    raw.close()

    const newer = createSqliteStore({ path })
    const err = await newer.init().then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(err).toMatchObject({ name: 'WeftError', code: 'store_version' })
    const { message, hint } = err as { message: string; hint: string }
    expect(message).toContain(String(SCHEMA_VERSION + 1))
    expect(message).toContain(String(SCHEMA_VERSION))
    expect(hint).toMatch(/upgrade weft/)
    // Every later call reports the same, instead of working on a schema it does not know.
    await expect(newer.runs.get(runId)).rejects.toMatchObject({ code: 'store_version' })
    await newer.close()
    expect(versions(path)).toEqual([...MIGRATIONS.map((m) => m.version), SCHEMA_VERSION + 1])
  })

  it('upgrades a version-1 database to the current schema and keeps its data', async () => {
    // A database as @weft/storage-sqlite 0.1 left it: only migration 1, rows as its store wrote them.
    const before = oldDatabaseWithRun(1)
    const { path, runId, commit, summary, old } = before
    const task = commit.tasks![0]!
    insertOldRows(old, commit)
    old
      .prepare('INSERT INTO signals (run_id, kind, data, created_at) VALUES (?, ?, ?, ?)')
      .run(runId, 'pause', null, commit.events[0]!.ts)
    old.close()
    expect(versions(path)).toEqual([1])

    const store = await upgradedStore(before)
    expect(SCHEMA_VERSION).toBeGreaterThanOrEqual(2)
    expect(await store.runs.list({ tag: 't' })).toEqual({ items: [summary] })
    expect(await store.tasks.list(runId)).toEqual([task])
    expect((await store.events.read(runId)).map((e) => (e.data as { message: string }).message)).toEqual([
      'one',
      'two',
      'three',
    ])
    const [signal] = await store.signals.receive([runId], 0)
    expect(signal).toMatchObject({ id: 1, runId, kind: 'pause' })
    expect(await store.signals.lastId()).toBe(1)

    // What version 2 adds works on the old run, and the old run goes on as before.
    expect((await store.commit({ runId, expectLastSeq: 3, events: [log('four')] }))[0]!.seq).toBe(4)
    expect((await store.leases.acquire(runId, 'upgraded', 60_000)).acquired).toBe(true)
    await store.artifacts.put({ runId, name: 'after-upgrade.txt', data: new TextEncoder().encode('v2') })
    expect((await store.signals.send({ runId, kind: 'resume' })).id).toBe(2)
    expect(await store.runs.delete([runId])).toBe(1)
    expect(await store.runs.list()).toEqual({ items: [] })
    await store.close()

    const raw = openRaw(path, { readOnly: true })
    const names = raw.prepare("SELECT name FROM sqlite_master WHERE type IN ('table', 'index')").pluck().all()
    expect(names).toEqual(expect.arrayContaining(['run_leases', 'artifacts', 'runs_by_status_created_at']))
    for (const table of ['runs', 'run_tags', 'tasks', 'events', 'signals', 'run_leases', 'artifacts']) {
      expect(raw.prepare(`SELECT count(*) FROM ${table}`).pluck().get(), table).toBe(0)
    }
    raw.close()
  })

  it('upgrades a version-2 database to version 3 (memory) and keeps its data', async () => {
    const leaseExpiry = Date.now() + 60_000

    // A database as @weft/storage-sqlite left it before memory: migrations 1 and 2, with rows of
    // every table that version 2 has.
    const before = oldDatabaseWithRun(2)
    const { path, runId, commit, summary, old } = before
    const task = commit.tasks![0]!
    insertOldRows(old, commit)
    old
      .prepare('INSERT INTO run_leases (run_id, owner, expires_at) VALUES (?, ?, ?)')
      .run(runId, 'v2', leaseExpiry)
    old
      .prepare(
        'INSERT INTO artifacts (run_id, name, task_id, content_type, size, created_at, data) VALUES (?, ?, ?, ?, ?, ?, ?)',
      )
      .run(runId, 'v2.txt', 'a', 'text/plain', 2, summary.createdAt, Buffer.from('v2'))
    old.close()
    expect(versions(path)).toEqual([1, 2])

    const store = await upgradedStore(before)
    expect(SCHEMA_VERSION).toBeGreaterThanOrEqual(3)
    expect(await store.tasks.list(runId)).toEqual([task])
    expect(await store.events.read(runId)).toHaveLength(3)
    expect(await store.leases.get(runId)).toEqual({
      runId,
      owner: 'v2',
      expiresAt: new Date(leaseExpiry).toISOString(),
    })
    const artifact = await store.artifacts.get(runId, 'v2.txt')
    expect(new TextDecoder().decode(artifact?.data)).toBe('v2')
    expect(await store.memory.list(`run:${runId}`)).toEqual([])

    // What version 3 adds works on the old run: memory in its commits, gone with the run.
    await store.commit({
      runId,
      expectLastSeq: 3,
      events: [log('four')],
      memory: [
        { scope: `run:${runId}`, key: 'k', value: { upgraded: true } },
        { scope: 'agent:old-timer', key: 'k', value: 'kept' },
      ],
    })
    expect((await store.memory.get(`run:${runId}`, 'k'))?.value).toEqual({ upgraded: true })
    expect(await store.runs.delete([runId])).toBe(1)
    expect(await store.memory.list(`run:${runId}`)).toEqual([])
    expect((await store.memory.get('agent:old-timer', 'k'))?.value).toBe('kept')
    await store.close()

    const raw = openRaw(path, { readOnly: true })
    expect(raw.prepare('SELECT scope, key, value FROM memory').all()).toEqual([
      { scope: 'agent:old-timer', key: 'k', value: '"kept"' },
    ])
    raw.close()
  })

  it('upgrades a version-3 database to version 4 (specs in their own table) and keeps every spec', async () => {
    const before = oldDatabaseWithRun(3)
    const { path, runId, commit } = before
    before.old.close()

    const store = await upgradedStore(before)
    // A spec written later (tasks added to a running run) replaces the stored one.
    const spec = { ...commit.create!.spec, tags: ['more'] }
    await store.commit({ runId, expectLastSeq: 3, spec, events: [log('four')] })
    expect(await store.runs.getSpec(runId)).toEqual(spec)
    const raw = openRaw(path, { readOnly: true })
    const columns = raw.prepare("SELECT name FROM pragma_table_info('runs')").pluck().all()
    expect(columns).not.toContain('spec')
    raw.close()
    expect(await store.runs.delete([runId])).toBe(1)
    expect(await store.runs.getSpec(runId)).toBeUndefined()
    await store.close()
  })

  it('upgrades a version-4 database to version 5 (idempotency keys), keeping the keys of tagged runs', async () => {
    const path = newDbPath()
    const tagged = newRunId()
    const plain = newRunId()
    const old = databaseAt(path, 4)
    // The server before version 5: the run tagged `idempotency:<key>`, the body's hash in its spec.
    const insertRun = old.prepare(
      'INSERT INTO runs (id, name, status, summary, last_seq) VALUES (?, ?, ?, ?, 0)',
    )
    const insertSpec = old.prepare('INSERT INTO run_specs (run_id, spec) VALUES (?, ?)')
    const insertTag = old.prepare('INSERT INTO run_tags (run_id, tag) VALUES (?, ?)')
    for (const runId of [tagged, plain]) {
      const commit = createCommit(runId)
      insertRun.run(runId, commit.run!.name, 'succeeded', JSON.stringify(commit.run))
      const params = runId === tagged ? { idempotency: { keyHash: 'k1', bodyHash: 'b1' } } : {}
      insertSpec.run(runId, JSON.stringify({ ...commit.create!.spec, params }))
    }
    insertTag.run(tagged, 'idempotency:k1')
    // A tag without a body hash in the spec is somebody's own tag, not a key.
    insertTag.run(plain, 'idempotency:k2')
    old.close()

    const store = await openStore(path)
    expect(versions(path)).toEqual(MIGRATIONS.map((m) => m.version))
    expect(await store.idempotency.claim('k1', 'b-other', 'server-a', 60_000)).toEqual({
      status: 'done',
      runId: tagged,
      bodyHash: 'b1',
    })
    expect(await store.idempotency.claim('k2', 'b2', 'server-a', 60_000)).toEqual({ status: 'claimed' })
    expect(await store.runs.delete([tagged])).toBe(1)
    expect(await store.idempotency.claim('k1', 'b3', 'server-a', 60_000)).toEqual({ status: 'claimed' })
    await store.close()
  })

  it('applies pending migrations in order, all or nothing', () => {
    const path = join(root, `migrate-${++counter}.db`)
    const v1 = { version: 1, name: 'one', sql: 'CREATE TABLE t1 (a INTEGER)' }
    const v2 = {
      version: 2,
      name: 'two',
      sql: 'ALTER TABLE t1 ADD COLUMN b TEXT; CREATE INDEX t1_b ON t1 (b)',
    }
    const broken = { version: 3, name: 'broken', sql: 'CREATE TABLE t3 (x); THIS IS NOT SQL' }
    const db = openRaw(path)
    try {
      // v1 and v2 would apply, v3 fails: nothing of the three is kept.
      expect(() => migrate(db, [v1, v2, broken])).toThrow()
      expect(db.prepare("SELECT count(*) FROM sqlite_master WHERE name IN ('t1', 't3')").pluck().get()).toBe(
        0,
      )
      expect(schemaVersion(db)).toBe(0)

      expect(migrate(db, [v1])).toBe(1)
      // v2 runs after v1 and depends on it; v1 is not applied twice.
      expect(migrate(db, [v1, v2])).toBe(2)
      expect(migrate(db, [v1, v2])).toBe(2)
      expect(db.prepare('SELECT version, name FROM weft_schema ORDER BY version').all()).toEqual([
        { version: 1, name: 'one' },
        { version: 2, name: 'two' },
      ])
      expect(() => migrate(db, [v1])).toThrow(expect.objectContaining({ code: 'store_version' }))
    } finally {
      db.close()
    }
  })
})

describe('sqlite with a second process', () => {
  /** Runs test/fixtures/child.ts in a real node process with the store's TypeScript sources. */
  const startChild = (args: string[]) =>
    // stdin carries a "go" to racers; the other modes never read it.
    startJsonLinesChild('test/fixtures/child.ts', args, { cwd: packageDir, stdin: 'pipe' })

  /** A store on a new file, with one run committed for each of `names`; the runs' ids in that order. */
  async function storeWithRuns(names: string[]) {
    const path = newDbPath()
    const store = await openStore(path)
    const runIds: string[] = []
    for (const name of names) {
      const runId = newRunId()
      await store.commit(createCommit(runId, name))
      runIds.push(runId)
    }
    return { path, store, runIds }
  }

  /**
   * A child that commits to `runId` `rounds` times, two events a commit, reading `otherRunId` after
   * each (a read that shows part of a commit fails it); once it is ready.
   */
  async function startWriteLoop(path: string, runId: string, rounds: number, otherRunId: string) {
    const child = startChild(['write-loop', path, runId, String(rounds), otherRunId])
    await child.line('ready')
    return child
  }

  /** The write loop's end: without SQLITE_BUSY, every commit and read of its `rounds` done. */
  async function writeLoopResult(child: ReturnType<typeof startChild>, rounds: number) {
    const result = await child.done
    expect(result.stderr).not.toMatch(/SQLITE_BUSY|database is locked/)
    expect(result.code).toBe(0)
    expect(result.lines.at(-1)).toMatchObject({ step: 'done', lastSeq: 3 + rounds * 2, reads: rounds })
    return result
  }

  it('reads while this process holds a write transaction, and its write waits instead of failing', async () => {
    const { path, store, runIds } = await storeWithRuns(['read-then-write'])
    const runId = runIds[0]!

    // A second connection of this process opens a write transaction and keeps it open.
    const writer = openRaw(path, { timeout: 5000 })
    writer.exec('BEGIN IMMEDIATE')
    writer
      .prepare('INSERT INTO events (run_id, seq, ts, type, severity, data) VALUES (?, 4, ?, ?, ?, ?)')
      .run(runId, new Date().toISOString(), 'log', 'info', JSON.stringify({ message: 'parent, in flight' }))
    writer.prepare('UPDATE runs SET last_seq = 4 WHERE id = ?').run(runId)

    const { done, line } = startChild(['read-then-write', path, runId])
    try {
      const read = await line('read')
      // The child saw the last committed state, not the open transaction, and did not wait for it.
      expect(read.seqs).toEqual([1, 2, 3])
      expect(read.lastSeq).toBe(3)
      expect(read.ms as number).toBeLessThan(1000)
      // Its commit now queues on the lock: after a while it is still waiting, not failed.
      let exited = false
      void done.then(() => {
        exited = true
      })
      await new Promise((r) => setTimeout(r, 400))
      expect(exited).toBe(false)
    } finally {
      writer.exec('COMMIT')
      writer.close()
    }
    const result = await done
    expect(result.stderr).not.toMatch(/SQLITE_BUSY|database is locked/)
    expect(result.code).toBe(0)
    expect(result.lines.find((l) => l.step === 'wrote')?.seqs).toEqual([5])
    expect((await store.events.read(runId)).map((e) => e.seq)).toEqual([1, 2, 3, 4, 5])
    await store.close()
  })

  it('two processes write and read the same database continuously without SQLITE_BUSY or torn reads', async () => {
    const { path, store, runIds } = await storeWithRuns(['child-run', 'parent-run'])
    const [childRun, parentRun] = runIds as [string, string]
    const rounds = 200

    const child = await startWriteLoop(path, childRun, rounds, parentRun)
    // Keep writing and reading for as long as the child does (and at least `rounds` times).
    let lastSeq = 3
    let commits = 0
    const childLengthsSeen = new Set<number>()
    while (!child.exited || commits < rounds) {
      const stored = await store.commit({
        runId: parentRun,
        expectLastSeq: lastSeq,
        events: [log(`parent ${commits} a`), log(`parent ${commits} b`)],
      })
      lastSeq = stored[stored.length - 1]!.seq
      commits++
      // Every read shows whole commits of the child: 3 creation events plus pairs.
      const seqs = (await store.events.read(childRun, { limit: 100_000 })).map((e) => e.seq)
      expect(seqs).toEqual(seqs.map((_, k) => k + 1))
      expect((seqs.length - 3) % 2).toBe(0)
      childLengthsSeen.add(seqs.length)
      // Let the event loop run (the child's exit is noticed there), like a runtime awaiting backends.
      await new Promise((r) => setImmediate(r))
    }
    const result = await writeLoopResult(child, rounds)
    // The two really overlapped: this process saw the child's run at several lengths, and the
    // child saw this process's run grow. (How much they overlap depends on the machine's load,
    // so only some overlap is required; the gapless checks above are the point.)
    expect(childLengthsSeen.size).toBeGreaterThan(1)
    expect(result.lines.at(-1)!.otherLengths as number).toBeGreaterThan(1)

    const expected = { [childRun]: 3 + rounds * 2, [parentRun]: 3 + commits * 2 }
    for (const runId of [childRun, parentRun]) {
      const events = await store.events.read(runId, { limit: 100_000 })
      expect(events.map((e) => e.seq)).toEqual(Array.from({ length: expected[runId]! }, (_, k) => k + 1))
      expect((await store.runs.get(runId))?.lastSeq).toBe(expected[runId])
    }
    await store.close()
  })

  it('lets exactly one of two processes racing for the same leases win each', async () => {
    const { path, store, runIds } = await storeWithRuns(Array.from({ length: 40 }, (_, i) => `raced-${i}`))
    // Both racers walk the runs in the same order, pausing a moment between leases, so they go
    // for each lease at about the same time.
    const racers = ['racer-1', 'racer-2'].map((owner) => ({
      owner,
      ...startChild(['lease-race', path, runIds.join(','), owner]),
    }))
    await Promise.all(racers.map((r) => r.line('ready')))
    // Both processes get "go" in the same tick.
    for (const r of racers) r.child.stdin!.end('go\n')
    const outcomes = await Promise.all(racers.map((r) => r.done))
    for (const o of outcomes) {
      expect(o.stderr).not.toMatch(/SQLITE_BUSY|database is locked/)
      expect(o.code).toBe(0)
    }
    type Result = { runId: string; acquired: boolean; owner: string; expiresAt: string }
    const results = outcomes.map(
      (o) => new Map((o.lines.find((l) => l.step === 'done')!.results as Result[]).map((r) => [r.runId, r])),
    )
    const wins = [0, 0]
    for (const runId of runIds) {
      const [one, two] = [results[0]!.get(runId)!, results[1]!.get(runId)!]
      // Exactly one acquired; the other was told who did, with the winner's expiry.
      expect(Number(one.acquired) + Number(two.acquired), runId).toBe(1)
      const winner = one.acquired ? one : two
      const loser = one.acquired ? two : one
      wins[one.acquired ? 0 : 1]!++
      expect(loser).toMatchObject({ owner: winner.owner, expiresAt: winner.expiresAt })
      expect(winner.owner).toBe(racers[one.acquired ? 0 : 1]!.owner)
      expect(await store.leases.get(runId)).toEqual({
        runId,
        owner: winner.owner,
        expiresAt: winner.expiresAt,
      })
    }
    expect(wins[0]! + wins[1]!).toBe(runIds.length)
    // A third owner (this process) is refused everywhere while the winners' leases run.
    for (const runId of runIds)
      expect((await store.leases.acquire(runId, 'parent', 60_000)).acquired).toBe(false)
    await store.close()
  })

  it('keeps the lease of a process that died until it expires, then lets another take it', async () => {
    const { path, store, runIds } = await storeWithRuns(['long', 'short'])
    const [long, short] = runIds as [string, string]

    const { done } = startChild(['lease-hold', path, `${long},${short}`, 'dead-runtime'])
    const result = await done
    expect(result.code).toBe(0)
    const [longLease, shortLease] = result.lines.find((l) => l.step === 'held')!.leases as (RunLease & {
      acquired: boolean
    })[]
    expect(longLease?.acquired && shortLease?.acquired).toBe(true)

    // The process is gone, but its unexpired lease still says who owns the run.
    const refused = await store.leases.acquire(long, 'successor', 60_000)
    expect(refused).toEqual({
      acquired: false,
      lease: { runId: long, owner: 'dead-runtime', expiresAt: longLease!.expiresAt },
    })
    // The short one expires (100 ms after the child took it) and is then free to take.
    const wait = Date.parse(shortLease!.expiresAt) - Date.now() + 5
    if (wait > 0) await new Promise((r) => setTimeout(r, wait))
    const taken = await store.leases.acquire(short, 'successor', 60_000)
    expect(taken.acquired).toBe(true)
    expect(taken.lease.owner).toBe('successor')
    await store.close()
  })

  it('deletes runs in batches while another process keeps committing, without SQLITE_BUSY', async () => {
    const { path, store, runIds } = await storeWithRuns(['child-run', 'keeper'])
    const [childRun, keeper] = runIds as [string, string]
    await store.artifacts.put({ runId: keeper, name: 'keep.txt', data: new TextEncoder().encode('keep') })
    const rounds = 150

    const child = await startWriteLoop(path, childRun, rounds, keeper)
    // Create a batch of sizeable runs and prune it, for as long as the child commits (and at
    // least a few times), like `weft runs prune` next to a running runtime.
    let batches = 0
    let deleted = 0
    const payload = new Uint8Array(32 * 1024).fill(7)
    while (!child.exited || batches < 3) {
      const batch: string[] = []
      for (let i = 0; i < 3; i++) {
        const runId = newRunId()
        const commit = createCommit(runId, 'doomed')
        commit.events.push(...Array.from({ length: 200 }, (_, k) => log(`doomed ${k}`)))
        await store.commit(commit)
        await store.artifacts.put({ runId, name: 'big.bin', data: payload })
        await store.leases.acquire(runId, 'pruner', 60_000)
        await store.signals.send({ runId, kind: 'cancel' })
        batch.push(runId)
      }
      deleted += await store.runs.delete(batch)
      batches++
      await new Promise((r) => setImmediate(r))
    }
    await writeLoopResult(child, rounds)
    expect(deleted).toBe(batches * 3)

    // Only the child's run and the keeper are left, whole.
    expect((await store.runs.list()).items.map((r) => r.id).sort()).toEqual([childRun, keeper].sort())
    const childEvents = await store.events.read(childRun, { limit: 100_000 })
    expect(childEvents.map((e) => e.seq)).toEqual(Array.from({ length: 3 + rounds * 2 }, (_, k) => k + 1))
    expect((await store.artifacts.list(keeper)).map((a) => a.name)).toEqual(['keep.txt'])
    await store.close()
    const raw = openRaw(path, { readOnly: true })
    const count = (sql: string) => raw.prepare(sql).pluck().get()
    expect(count('SELECT count(*) FROM events')).toBe(childEvents.length + 3)
    expect(count('SELECT count(*) FROM artifacts')).toBe(1)
    expect(count('SELECT count(*) FROM run_leases')).toBe(0)
    expect(count('SELECT count(*) FROM signals')).toBe(0)
    raw.close()
  })
})
