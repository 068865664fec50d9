import { spawnSync } from 'node:child_process'
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  truncateSync,
  writeFileSync,
} from 'node:fs'
import { hostname } from 'node:os'
import { join } from 'node:path'
import {
  type Commit,
  type FullStore,
  type Json,
  newRunId,
  type RunSummary,
  RunSummarySchema,
  type TaskState,
  type WeftEvent,
} from '@weft/core'
import { describe, expect, it } from 'vitest'
import { createFsStore, FORMAT_VERSION, plugin, type RepairReport } from '../src/index.js'
import { createCommit, jsonl, log, openStore, tempDirs } from './helpers.js'

const { newDir } = tempDirs('weft-fs-')

const runDir = (dir: string, runId: string) => join(dir, 'runs', runId)
const utf8 = (text: string) => new TextEncoder().encode(text)

/** Everything the store says about a run. */
async function snapshot(dir: string, runId: string) {
  const store = await openStore(dir)
  try {
    return {
      summary: await store.runs.get(runId),
      spec: await store.runs.getSpec(runId),
      tasks: await store.tasks.list(runId),
      events: await store.events.read(runId),
    }
  } finally {
    await store.close()
  }
}

/** Opens the store and returns what its open-time repair reported, by run. */
async function reopen(dir: string): Promise<Map<string, RepairReport>> {
  const repairs = new Map<string, RepairReport>()
  const store = createFsStore({ dir, onRepair: (runId, report) => repairs.set(runId, report) })
  await store.init()
  await store.close()
  return repairs
}

/** A store with one run: the three creation events, then `running` with task a started (seq 4). */
async function seeded() {
  const dir = newDir()
  const runId = newRunId()
  const store = await openStore(dir)
  const create = createCommit(runId)
  await store.commit(create)
  const running: RunSummary = { ...create.run!, status: 'running', startedAt: create.run!.createdAt }
  const taskA: TaskState = { ...create.tasks![0]!, status: 'running', attempt: 1 }
  await store.commit({ runId, run: running, tasks: [taskA], events: [log('four')] })
  await store.close()
  return { dir, runId, running, taskA, files: runFiles(dir, runId) }
}

function runFiles(dir: string, runId: string) {
  const d = runDir(dir, runId)
  return {
    meta: join(d, 'meta.json'),
    spec: join(d, 'spec.json'),
    tasks: join(d, 'tasks.json'),
    events: join(d, 'events.jsonl'),
    pending: join(d, 'pending-commit.json'),
  }
}

const eventLine = (runId: string, seq: number, message: string) =>
  `${JSON.stringify({ runId, seq, ts: new Date().toISOString(), type: 'log', severity: 'info', data: { message } })}\n`

describe('fs store layout', () => {
  it('describes itself and creates its directory with a format file', async () => {
    const dir = newDir()
    const store = createFsStore({ dir })
    expect(store.id).toBe(`fs:${dir}`)
    expect(store.capabilities).toEqual({
      transactions: true,
      multiProcess: true,
      leases: true,
      signals: true,
      artifacts: true,
      memory: true,
      idempotency: true,
      queue: true,
    })
    expect(existsSync(dir)).toBe(false)
    await store.init()
    const format = JSON.parse(readFileSync(join(dir, 'weft-store.json'), 'utf8'))
    expect(format).toMatchObject({ format: FORMAT_VERSION, store: '@weft/storage-fs' })
    expect(readdirSync(dir).sort()).toEqual(
      ['leases', 'locks', 'memory', 'runs', 'staging', 'trash', 'weft-store.json'].sort(),
    )
    await store.close()
  })

  it('writes files a person can read: pretty JSON, one event per line, artifacts as plain files', async () => {
    const dir = newDir()
    const runId = newRunId()
    const store = await openStore(dir)
    const create = createCommit(runId, 'readable')
    await store.commit(create)
    await store.commit({
      runId,
      tasks: [{ ...create.tasks![0]!, status: 'succeeded', output: { text: 'line one\nline two' } }],
      events: [log('multi\nline message'), log('ünïcode 🧵')],
    })
    await store.artifacts.put({
      runId,
      taskId: 'a',
      name: 'out/report.md',
      contentType: 'text/markdown',
      data: utf8('# Report\n'),
    })
    await store.signals.send({ runId, kind: 'pause' })
    await store.leases.acquire(runId, 'me', 60_000)
    const summary = await store.runs.get(runId)
    const events = await store.events.read(runId)
    await store.close()

    const files = runFiles(dir, runId)
    const metaText = readFileSync(files.meta, 'utf8')
    expect(metaText).toContain('\n  "id": ')
    expect(JSON.parse(metaText)).toEqual(summary)
    RunSummarySchema.parse(JSON.parse(metaText))
    expect(JSON.parse(readFileSync(files.spec, 'utf8'))).toEqual(create.create!.spec)
    const tasks = JSON.parse(readFileSync(files.tasks, 'utf8')) as TaskState[]
    expect(tasks.map((t) => [t.taskId, t.status])).toEqual([['a', 'succeeded']])

    const text = readFileSync(files.events, 'utf8')
    expect(text.endsWith('\n')).toBe(true)
    const lines = text.slice(0, -1).split('\n')
    expect(lines).toHaveLength(5)
    expect(lines.map((l) => JSON.parse(l))).toEqual(events)
    expect(lines.map((l) => (JSON.parse(l) as WeftEvent).seq)).toEqual([1, 2, 3, 4, 5])

    expect(readFileSync(join(runDir(dir, runId), 'artifacts', 'out', 'report.md'), 'utf8')).toBe('# Report\n')
    expect(JSON.parse(readFileSync(join(runDir(dir, runId), 'artifacts.json'), 'utf8'))).toMatchObject({
      'out/report.md': { taskId: 'a', contentType: 'text/markdown', size: 9 },
    })
    expect(jsonl(join(dir, 'signals.jsonl'))).toMatchObject([{ id: 1, runId, kind: 'pause' }])
    expect(JSON.parse(readFileSync(join(dir, 'leases', `${runId}.json`), 'utf8'))).toMatchObject({
      owner: 'me',
    })

    // Nothing transient is left behind: no commit record, no temp files, no locks.
    expect(readdirSync(runDir(dir, runId)).sort()).toEqual(
      ['artifacts', 'artifacts.json', 'events.jsonl', 'meta.json', 'spec.json', 'tasks.json'].sort(),
    )
    expect(readdirSync(join(dir, 'locks'))).toEqual([])
    expect(readdirSync(join(dir, 'staging'))).toEqual([])
  })

  it('is served by its plugin under the fs scheme, with or without the scheme in the location', async () => {
    expect(plugin.name).toBe('@weft/storage-fs')
    expect(plugin.specificationVersion).toBe('weft.plugin.v1')
    const factory = plugin.stores?.find((s) => s.scheme === 'fs')
    expect(factory).toBeDefined()
    const dir = newDir()
    for (const location of [dir, `fs:${dir}`, `fs://${dir}`]) {
      const store = await factory!.create(location)
      expect(store.id).toBe(`fs:${dir}`)
      await store.init()
      await store.close()
    }
  })

  it('is closed for good after close(), which may be called again', async () => {
    const store = await openStore(newDir())
    await store.close()
    await store.close()
    await expect(store.runs.list()).rejects.toMatchObject({ name: 'WeftError', code: 'internal' })
  })

  it('refuses run ids and artifact names that would leave their directory', async () => {
    const dir = newDir()
    const store = await openStore(dir)
    await expect(store.commit(createCommit('../escape'))).rejects.toMatchObject({ code: 'store_unsupported' })
    expect(await store.runs.get('../escape')).toBeUndefined()
    expect(await store.events.read('a/b')).toEqual([])
    const runId = newRunId()
    await store.commit(createCommit(runId))
    for (const name of [
      '../x.txt',
      '/abs.txt',
      'a/../../x',
      'a//b',
      'back\\slash',
      '',
      'nul\0',
      'x'.repeat(2000),
    ]) {
      await expect(store.artifacts.put({ runId, name, data: utf8('x') })).rejects.toMatchObject({
        code: 'input_invalid',
      })
    }
    expect(await store.artifacts.list(runId)).toEqual([])
    expect(readdirSync(runDir(dir, runId))).not.toContain('x.txt')
    await store.close()
  })
})

describe('fs store format version', () => {
  it('refuses a store written by a newer format with store_version, and leaves it untouched', async () => {
    const { dir, runId } = await seeded()
    const formatFile = join(dir, 'weft-store.json')
    const newer = {
      format: FORMAT_VERSION + 1,
      store: '@weft/storage-fs',
      createdAt: new Date().toISOString(),
    }
    writeFileSync(formatFile, JSON.stringify(newer))
    // Something a repair would change, to prove nothing is repaired either.
    appendFileSync(runFiles(dir, runId).events, '{"cut sh')
    const before = readFileSync(runFiles(dir, runId).events, 'utf8')

    const store = createFsStore({ dir })
    const err = await store.init().then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(err).toMatchObject({ name: 'WeftError', code: 'store_version' })
    const { message, hint } = err as { message: string; hint: string }
    expect(message).toContain(`format version ${FORMAT_VERSION + 1}`)
    expect(message).toContain(`up to ${FORMAT_VERSION}`)
    expect(hint).toMatch(/upgrade weft/)
    // Every later call reports the same instead of working on a layout it does not know.
    await expect(store.runs.get(runId)).rejects.toMatchObject({ code: 'store_version' })
    await expect(store.commit({ runId, events: [log('no')] })).rejects.toMatchObject({
      code: 'store_version',
    })
    await store.close()
    expect(JSON.parse(readFileSync(formatFile, 'utf8'))).toEqual(newer)
    expect(readFileSync(runFiles(dir, runId).events, 'utf8')).toBe(before)
  })

  it('refuses a directory that has files but is not a store, and creates nothing in it', async () => {
    const dir = newDir()
    mkdirSync(dir, { recursive: true })
    writeFileSync(join(dir, 'package.json'), '{}')
    const store = createFsStore({ dir })
    await expect(store.init()).rejects.toMatchObject({ code: 'config_invalid' })
    expect(readdirSync(dir)).toEqual(['package.json'])
  })
})

describe('fs store crash repair on open', () => {
  it('cuts a last line that a crash left unfinished; readers never see it, and seqs continue', async () => {
    const { dir, runId, files } = await seeded()
    const healthy = readFileSync(files.events, 'utf8')
    const before = await snapshot(dir, runId)
    const early = await openStore(dir)
    // A crash in the middle of appending event 5.
    appendFileSync(files.events, eventLine(runId, 5, 'half').slice(0, 40))

    // A store that opened before the crash reads only the committed events.
    expect(await early.events.read(runId)).toEqual(before.events)
    expect(await early.events.query({})).toEqual(before.events)
    expect(await early.runs.get(runId)).toEqual(before.summary)
    await early.close()

    const repairs = await reopen(dir)
    expect(repairs.get(runId)?.actions.join()).toMatch(/cut 40 bytes/)
    expect(readFileSync(files.events, 'utf8')).toBe(healthy)
    expect(await snapshot(dir, runId)).toEqual(before)

    const store = await openStore(dir)
    const [next] = await store.commit({ runId, expectLastSeq: 4, events: [log('five')] })
    expect(next!.seq).toBe(5)
    await store.close()
    expect(jsonl(files.events).map((e) => e.seq)).toEqual([1, 2, 3, 4, 5])
    // A healthy store is not repaired again.
    expect((await reopen(dir)).size).toBe(0)
  })

  it('drops everything after the last committed seq: whole lines of an unfinished commit, and garbage', async () => {
    const { dir, runId, files } = await seeded()
    const healthy = readFileSync(files.events, 'utf8')
    const before = await snapshot(dir, runId)
    appendFileSync(
      files.events,
      `${eventLine(runId, 5, 'uncommitted')}${eventLine(runId, 6, 'uncommitted')}not json at all\n\0\0\0`,
    )
    const repairs = await reopen(dir)
    expect(repairs.get(runId)?.actions.join()).toMatch(/uncommitted events after seq 4/)
    expect(readFileSync(files.events, 'utf8')).toBe(healthy)
    expect(await snapshot(dir, runId)).toEqual(before)
  })

  it('rolls back to the previous commit after a crash between the events append and the commit point', async () => {
    const { dir, runId, files, running, taskA } = await seeded()
    const before = await snapshot(dir, runId)
    const saved = { meta: readFileSync(files.meta), tasks: readFileSync(files.tasks) }

    // Commit 3 runs fully, then the files are put back as they were after its step 1 (events
    // appended, nothing else written yet): exactly what a crash there leaves.
    const store = await openStore(dir)
    await store.commit({
      runId,
      run: { ...running, status: 'succeeded' },
      tasks: [{ ...taskA, status: 'succeeded', output: 'done' }],
      events: [log('five'), log('six')],
    })
    await store.close()
    writeFileSync(files.meta, saved.meta)
    writeFileSync(files.tasks, saved.tasks)
    expect(jsonl(files.events)).toHaveLength(6)

    await reopen(dir)
    expect(await snapshot(dir, runId)).toEqual(before)
    expect(jsonl(files.events)).toHaveLength(4)
  })

  it('rolls a commit forward when the crash came after its commit point (pending-commit.json)', async () => {
    const { dir, runId, files, running, taskA } = await seeded()
    const done: RunSummary = { ...running, status: 'succeeded', lastSeq: 6 }
    const finished: TaskState = { ...taskA, status: 'succeeded', output: { answer: 42 } }
    // What the commit wrote before the crash: its events, its record, and tasks.json (one of its
    // files) — meta.json still the old one.
    appendFileSync(files.events, eventLine(runId, 5, 'five') + eventLine(runId, 6, 'six'))
    writeFileSync(files.pending, JSON.stringify({ lastSeq: 6, tasks: [finished], meta: done }))
    writeFileSync(files.tasks, JSON.stringify([finished]))

    const repairs = await reopen(dir)
    expect(repairs.get(runId)?.actions.join()).toMatch(/rolled forward the commit ending at seq 6/)
    const after = await snapshot(dir, runId)
    expect(after.summary).toEqual(done)
    expect(after.tasks).toEqual([finished])
    expect(after.events.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6])
    expect(existsSync(files.pending)).toBe(false)
    // Applying it again changes nothing.
    expect((await reopen(dir)).size).toBe(0)
    expect(await snapshot(dir, runId)).toEqual(after)
  })

  it('keeps the intact prefix when events.jsonl lost committed events, and says so in the summary', async () => {
    const { dir, runId, files } = await seeded()
    const lines = readFileSync(files.events, 'utf8').split('\n')
    truncateSync(files.events, Buffer.byteLength(`${lines.slice(0, 2).join('\n')}\n`))

    await reopen(dir)
    const after = await snapshot(dir, runId)
    expect(after.events.map((e) => e.seq)).toEqual([1, 2])
    expect(after.summary?.lastSeq).toBe(2)
    expect(after.summary?.health).toBe('warning')
    expect(after.summary?.diagnostics).toContainEqual(
      expect.objectContaining({
        level: 'warning',
        code: 'events_lost',
        message: expect.stringContaining('3..4'),
      }),
    )
    const store = await openStore(dir)
    expect((await store.commit({ runId, events: [log('after the loss')] }))[0]!.seq).toBe(3)
    await store.close()
  })

  it('opens even when a run cannot be repaired, reports it, and names a damaged log when it is read', async () => {
    const { dir, runId, files } = await seeded()
    const other = await seeded()
    // Damage from outside weft: a commit record to roll forward over an unparseable tasks.json,
    // and a log line in the middle that is no longer JSON.
    writeFileSync(files.pending, JSON.stringify({ lastSeq: 4, tasks: [{ taskId: 'a' }] }))
    writeFileSync(files.tasks, '[{"broken')
    const lines = readFileSync(other.files.events, 'utf8').split('\n')
    lines[1] = 'not json'
    writeFileSync(other.files.events, lines.join('\n'))

    const repairs = await reopen(dir)
    expect(repairs.get(runId)?.error).toMatch(/tasks\.json is not valid JSON/)
    const store = await openStore(other.dir)
    const err = await store.events.read(other.runId).then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(err).toMatchObject({ name: 'WeftError', code: 'internal' })
    expect((err as Error).message).toContain(other.files.events)
    expect((err as Error).message).toContain('seq 2')
    await store.close()
  })

  it('removes what dead processes left in staging/, trash/ and as temp files', async () => {
    const { dir, runId } = await seeded()
    const dead = deadPid()
    const leftovers = [
      join(dir, 'staging', `${newRunId()}.${dead}.abcd1234`),
      join(dir, 'trash', `${newRunId()}.${dead}.abcd1234`),
    ]
    for (const d of leftovers) {
      mkdirSync(d)
      writeFileSync(join(d, 'meta.json'), '{}')
    }
    const temp = join(runDir(dir, runId), `.tasks.json.weft-tmp-${dead}-abcd1234`)
    writeFileSync(temp, '[')
    const live = join(dir, 'staging', `${newRunId()}.${process.pid}.abcd1234`)
    mkdirSync(live)

    await reopen(dir)
    for (const d of leftovers) expect(existsSync(d)).toBe(false)
    expect(existsSync(temp)).toBe(false)
    // A live process's creation in flight is its own to finish.
    expect(existsSync(live)).toBe(true)
  })

  it('cuts an unfinished last signal and keeps numbering', async () => {
    const dir = newDir()
    const store = await openStore(dir)
    await store.signals.send({ runId: 'run_A', kind: 'pause' })
    await store.close()
    appendFileSync(join(dir, 'signals.jsonl'), '{"id":2,"runId":"run_A","ki')
    const again = await openStore(dir)
    expect(await again.signals.lastId()).toBe(1)
    expect((await again.signals.send({ runId: 'run_A', kind: 'resume' })).id).toBe(2)
    expect(jsonl(join(dir, 'signals.jsonl')).map((s) => s.id)).toEqual([1, 2])
    await again.close()
  })
})

describe('fs store locks', () => {
  it('breaks the lock of a writer that died mid-commit and repairs its run before writing', async () => {
    const { dir, runId, files } = await seeded()
    const repairs = new Map<string, RepairReport>()
    const store = createFsStore({ dir, onRepair: (id, report) => repairs.set(id, report) })
    await store.init()
    // Another process took the lock, appended half an event and died.
    const pid = deadPid()
    writeFileSync(
      join(dir, 'locks', `run-${runId}.lock`),
      JSON.stringify({
        pid,
        host: hostname(),
        token: 'dead',
        since: new Date().toISOString(),
        purpose: 'commit',
      }),
    )
    appendFileSync(files.events, eventLine(runId, 5, 'never committed').slice(0, 30))

    const [stored] = await store.commit({ runId, expectLastSeq: 4, events: [log('five')] })
    expect(stored!.seq).toBe(5)
    expect(repairs.get(runId)?.actions.join()).toMatch(/cut 30 bytes/)
    expect(jsonl(files.events).map((e) => e.seq)).toEqual([1, 2, 3, 4, 5])
    expect(readdirSync(join(dir, 'locks'))).toEqual([])
    await store.close()
  })

  it('waits for a live holder, and after lockTimeoutMs names the lock file in its error', async () => {
    const { dir, runId } = await seeded()
    const store = await openStore(dir, { lockTimeoutMs: 300 })
    const lockFile = join(dir, 'locks', `run-${runId}.lock`)
    // This process is alive: the lock is someone's live holding.
    writeFileSync(
      lockFile,
      JSON.stringify({
        pid: process.pid,
        host: hostname(),
        token: 'other',
        since: new Date().toISOString(),
        purpose: 'commit',
      }),
    )
    const started = Date.now()
    const err = await store.commit({ runId, events: [log('blocked')] }).then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(Date.now() - started).toBeGreaterThanOrEqual(250)
    expect(err).toMatchObject({ name: 'WeftError', code: 'internal' })
    expect((err as { hint: string }).hint).toContain(lockFile)
    expect((await store.events.read(runId)).map((e) => e.seq)).toEqual([1, 2, 3, 4])

    // Once the holder lets go, writes go through.
    const waiting = store.commit({ runId, events: [log('after')] })
    await new Promise((r) => setTimeout(r, 100))
    rmSync(lockFile)
    expect((await waiting)[0]!.seq).toBe(5)
    await store.close()
  })
})

describe('fs store reads', () => {
  it('pages through a long log from any point, in this process and from a fresh one', async () => {
    const dir = newDir()
    const runId = newRunId()
    const store = await openStore(dir, { fsync: false })
    await store.commit(createCommit(runId))
    for (let c = 0; c < 12; c++) {
      await store.commit({ runId, events: Array.from({ length: 100 }, (_, i) => log(`c${c} e${i}`)) })
    }
    const total = 1203
    const expectPages = async (s: typeof store) => {
      for (const [after, limit] of [
        [0, 250],
        [1000, 250],
        [255, 3],
        [256, 1],
        [511, 600],
        [1202, 10],
        [1203, 10],
      ] as const) {
        const page = await s.events.read(runId, { afterSeq: after, limit })
        const expected = Array.from({ length: Math.min(limit, total - after) }, (_, i) => after + i + 1)
        expect(page.map((e) => e.seq)).toEqual(expected)
      }
    }
    await expectPages(store)
    await expectPages(store) // again, now from remembered offsets
    await store.close()
    const fresh = await openStore(dir)
    await expectPages(fresh)
    await fresh.close()
  })

  it('keeps the last seq of a run created without a summary, which then is not listed until one comes', async () => {
    const dir = newDir()
    const runId = newRunId()
    const store = await openStore(dir)
    const { run, ...bare } = createCommit(runId)
    await store.commit(bare)
    expect(await store.runs.get(runId)).toBeUndefined()
    expect((await store.runs.list()).items).toEqual([])
    expect((await store.events.read(runId)).map((e) => e.seq)).toEqual([1, 2, 3])
    expect((await store.commit({ runId, expectLastSeq: 3, events: [log('four')] }))[0]!.seq).toBe(4)
    await store.close()
    const again = await openStore(dir)
    await again.commit({ runId, expectLastSeq: 4, run: run!, events: [] })
    expect(await again.runs.get(runId)).toEqual({ ...run, lastSeq: 4 })
    expect((await again.runs.list()).items.map((r) => r.id)).toEqual([runId])
    await again.close()
  })

  it('deletes through trash/: the run directory and its lease are gone, trash/ is empty', async () => {
    const { dir, runId } = await seeded()
    const store = await openStore(dir)
    await store.leases.acquire(runId, 'me', 60_000)
    expect(await store.runs.delete([runId])).toBe(1)
    expect(existsSync(runDir(dir, runId))).toBe(false)
    expect(existsSync(join(dir, 'leases', `${runId}.json`))).toBe(false)
    expect(readdirSync(join(dir, 'trash'))).toEqual([])
    await store.close()
  })
})

describe('fs store memory', () => {
  type MemoryWrite = NonNullable<Commit['memory']>[number]
  const w = (scope: string, key: string, value: Json | null): MemoryWrite => ({ scope, key, value })
  /** A scope's keys and values, as the store reads them. */
  const values = async (store: FullStore, scope: string) =>
    Object.fromEntries((await store.memory.list(scope)).map((e) => [e.key, e.value]))
  const memoryFiles = (dir: string) => readdirSync(join(dir, 'memory')).sort()
  /** A lock file as a process that has died left it. */
  const deadLock = (path: string, pid: number, purpose: string) =>
    writeFileSync(
      path,
      JSON.stringify({
        pid,
        host: hostname(),
        token: `dead-${purpose}`,
        since: new Date().toISOString(),
        purpose,
      }),
    )

  it('keeps a run scope in the run directory and other scopes in memory/, as pretty JSON', async () => {
    const dir = newDir()
    const runId = newRunId()
    const store = await openStore(dir)
    await store.commit({
      ...createCommit(runId),
      memory: [w(`run:${runId}`, 'plan', ['a', 'b']), w('agent:Reviewer', 'style', 'terse')],
    })
    await store.commit({ runId, events: [], memory: [w('agent:reviewer', 'style', 'long')] })
    const plan = await store.memory.get(`run:${runId}`, 'plan')
    await store.close()

    const text = readFileSync(join(runDir(dir, runId), 'memory.json'), 'utf8')
    expect(text).toContain('\n  "scope": ')
    expect(JSON.parse(text)).toEqual({
      scope: `run:${runId}`,
      entries: [{ key: 'plan', value: ['a', 'b'], updatedAt: plan!.updatedAt }],
    })
    // Scopes that differ only in case get files of their own (case-insensitive file systems).
    const files = memoryFiles(dir)
    expect(files).toHaveLength(2)
    for (const f of files) expect(f).toMatch(/^agent-reviewer\.[0-9a-f]{16}\.json$/)
    const scopes = files.map((f) => JSON.parse(readFileSync(join(dir, 'memory', f), 'utf8')).scope).sort()
    expect(scopes).toEqual(['agent:Reviewer', 'agent:reviewer'])
    // No commit record, temp file or lock is left behind.
    expect(existsSync(join(runDir(dir, runId), 'pending-commit.json'))).toBe(false)
    expect(readdirSync(join(dir, 'locks'))).toEqual([])

    // A scope whose last key is deleted leaves no file behind.
    const again = await openStore(dir)
    await again.commit({
      runId,
      events: [],
      memory: [w('agent:Reviewer', 'style', null), w(`run:${runId}`, 'plan', null)],
    })
    expect(memoryFiles(dir)).toHaveLength(1)
    expect(existsSync(join(runDir(dir, runId), 'memory.json'))).toBe(false)
    await again.close()
  })

  it("refuses a write to another run's scope with store_unsupported, and writes nothing of the commit", async () => {
    const { dir, runId, files } = await seeded()
    const other = newRunId()
    const store = await openStore(dir)
    await store.commit(createCommit(other))
    const before = await store.events.read(runId)
    await expect(
      store.commit({
        runId,
        events: [log('five')],
        memory: [w('agent:x', 'k', 1), w(`run:${other}`, 'k', 1)],
      }),
    ).rejects.toMatchObject({ name: 'WeftError', code: 'store_unsupported' })
    expect(await store.events.read(runId)).toEqual(before)
    expect(await store.memory.list('agent:x')).toEqual([])
    expect(await store.memory.list(`run:${other}`)).toEqual([])
    expect(jsonl(files.events)).toHaveLength(4)
    await store.close()
  })

  it('rolls a commit with memory writes forward after a crash past its commit point, exactly once', async () => {
    const { dir, runId, files, running } = await seeded()
    const store = await openStore(dir)
    await store.commit({
      runId,
      events: [],
      memory: [w('agent:writer', 'old', 'x'), w('agent:writer', 'kept', 'y')],
    })
    const kept = await store.memory.get('agent:writer', 'kept')
    await store.close()
    // What the commit wrote before the crash: its event and its record; no state or memory file yet.
    const at = '2025-06-01T12:00:00.000Z'
    const done: RunSummary = { ...running, status: 'succeeded', lastSeq: 5 }
    appendFileSync(files.events, eventLine(runId, 5, 'five'))
    writeFileSync(
      files.pending,
      JSON.stringify({
        lastSeq: 5,
        meta: done,
        memory: { updatedAt: at, writes: [w(`run:${runId}`, 'result', { ok: true })] },
        sharedMemory: {
          updatedAt: at,
          writes: [w('agent:writer', 'lessons', ['be brief']), w('agent:writer', 'old', null)],
        },
      }),
    )

    const repairs = await reopen(dir)
    const actions = repairs.get(runId)?.actions.join('\n')
    expect(actions).toMatch(/applied the shared memory writes of the commit ending at seq 5/)
    expect(actions).toMatch(/rolled forward the commit ending at seq 5/)
    expect(existsSync(files.pending)).toBe(false)
    const after = await openStore(dir)
    expect(await after.runs.get(runId)).toEqual(done)
    expect(await after.memory.list(`run:${runId}`)).toEqual([
      { scope: `run:${runId}`, key: 'result', value: { ok: true }, updatedAt: at },
    ])
    expect(await after.memory.list('agent:writer')).toEqual([
      kept,
      { scope: 'agent:writer', key: 'lessons', value: ['be brief'], updatedAt: at },
    ])
    const memory = {
      run: await after.memory.list(`run:${runId}`),
      agent: await after.memory.list('agent:writer'),
    }
    await after.close()
    // Applying it again changes nothing.
    expect((await reopen(dir)).size).toBe(0)
    const last = await openStore(dir)
    expect({
      run: await last.memory.list(`run:${runId}`),
      agent: await last.memory.list('agent:writer'),
    }).toEqual(memory)
    await last.close()
  })

  it('writes no memory of a commit that crashed before its commit point', async () => {
    const { dir, runId, files } = await seeded()
    const before = await snapshot(dir, runId)
    // Events appended, the memory lock taken, then the process died: no record, no memory file.
    appendFileSync(files.events, eventLine(runId, 5, 'five'))
    deadLock(join(dir, 'locks', 'memory.lock'), deadPid(), 'memory')
    await reopen(dir)
    expect(await snapshot(dir, runId)).toEqual(before)
    const store = await openStore(dir)
    expect(await store.memory.list('agent:writer')).toEqual([])
    // The dead holder's memory lock is broken by the next write that needs it.
    await store.commit({ runId, expectLastSeq: 4, events: [], memory: [w('agent:writer', 'k', 'v')] })
    expect(await values(store, 'agent:writer')).toEqual({ k: 'v' })
    expect(readdirSync(join(dir, 'locks'))).toEqual([])
    await store.close()
  })

  it("settles a dead writer's agent memory before a live writer's, and never applies it again", async () => {
    const { dir, runId: a, files, running } = await seeded()
    const repairs: [string, RepairReport][] = []
    const store = createFsStore({ dir, onRepair: (id, report) => repairs.push([id, report]) })
    await store.init()
    const b = newRunId()
    await store.commit(createCommit(b))
    await store.commit({
      runId: a,
      events: [],
      memory: [w('agent:team', 'shared', 'first'), w('agent:team', 'mine', 'first')],
    })

    // Another process, in the middle of a commit of run A, holding A's lock and the memory lock:
    // its record is written (the commit point), nothing applied yet, and then it dies.
    const dead = deadPid()
    deadLock(join(dir, 'locks', `run-${a}.lock`), dead, 'commit')
    deadLock(join(dir, 'locks', 'memory.lock'), dead, 'memory')
    appendFileSync(files.events, eventLine(a, 5, 'five'))
    writeFileSync(
      files.pending,
      JSON.stringify({
        lastSeq: 5,
        meta: { ...running, lastSeq: 5 },
        sharedMemory: {
          updatedAt: '2025-06-01T12:00:00.000Z',
          writes: [w('agent:team', 'shared', 'from dead A'), w('agent:team', 'mine', 'from dead A')],
        },
      }),
    )

    // A live commit of run B writes the same key: it breaks the memory lock, applies A's writes
    // first (A committed first), then its own over them.
    await store.commit({ runId: b, events: [], memory: [w('agent:team', 'shared', 'from B')] })
    expect(await values(store, 'agent:team')).toEqual({ mine: 'from dead A', shared: 'from B' })
    expect(repairs).toEqual([
      [
        a,
        {
          actions: [expect.stringMatching(/applied the shared memory writes of the commit ending at seq 5/)],
        },
      ],
    ])

    // Run A's own repair (its lock is broken by its next commit) rolls the rest of its commit
    // forward without applying its memory writes again over B's.
    const [six] = await store.commit({ runId: a, expectLastSeq: 5, events: [log('six')] })
    expect(six!.seq).toBe(6)
    expect(repairs.at(-1)).toEqual([
      a,
      expect.objectContaining({
        actions: [expect.stringMatching(/rolled forward the commit ending at seq 5/)],
      }),
    ])
    expect(await values(store, 'agent:team')).toEqual({ mine: 'from dead A', shared: 'from B' })
    expect(existsSync(files.pending)).toBe(false)
    expect(readdirSync(join(dir, 'locks'))).toEqual([])
    await store.close()
    expect((await reopen(dir)).size).toBe(0)
  })

  it('repairs a run whose record has agent memory when the store opens, breaking the dead memory lock', async () => {
    const { dir, runId, files, running } = await seeded()
    const dead = deadPid()
    deadLock(join(dir, 'locks', `run-${runId}.lock`), dead, 'commit')
    deadLock(join(dir, 'locks', 'memory.lock'), dead, 'memory')
    writeFileSync(
      files.pending,
      JSON.stringify({
        lastSeq: 4,
        meta: { ...running, status: 'succeeded', lastSeq: 4 },
        sharedMemory: { updatedAt: '2025-06-01T12:00:00.000Z', writes: [w('agent:late', 'k', 'v')] },
      }),
    )
    const repairs = await reopen(dir)
    expect(repairs.get(runId)?.actions.join('\n')).toMatch(/rolled forward the commit ending at seq 4/)
    const store = await openStore(dir)
    expect(await values(store, 'agent:late')).toEqual({ k: 'v' })
    expect((await store.runs.get(runId))?.status).toBe('succeeded')
    expect(readdirSync(join(dir, 'locks'))).toEqual([])
    await store.close()
  })
})

/** The pid of a process that has exited (pids are not reused that quickly). */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {
    encoding: 'utf8',
  })
  return Number(child.stdout)
}
