import { readdirSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { newRunId } from '@weft/core'
import { startJsonLinesChild } from '@weft/testing'
import { describe, expect, it } from 'vitest'
import { createFsStore, type RepairReport } from '../src/index.js'
import { createCommit, jsonl, log, openStore, tempDirs } from './helpers.js'

const packageDir = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const { newDir } = tempDirs('weft-fs-mp-')

/** Runs test/fixtures/child.ts in a real node process with the store's TypeScript sources. */
const startChild = (args: string[]) =>
  startJsonLinesChild('test/fixtures/child.ts', args, { cwd: packageDir })

describe('fs store with a second process', () => {
  it('two processes commit at the same time, to their own runs and to one shared run, without corrupting anything', async () => {
    const dir = newDir()
    const parentRun = newRunId()
    const childRun = newRunId()
    const sharedRun = newRunId()
    const store = await openStore(dir)
    for (const runId of [parentRun, childRun, sharedRun]) await store.commit(createCommit(runId))
    const rounds = 60

    const child = startChild(['write-loop', dir, childRun, sharedRun, String(rounds)])

    const { done, line } = child
    await line('ready')
    // Keep writing for as long as the child does (and at least `rounds` times), so they overlap.
    let lastSeq = 3
    let commits = 0
    while (!child.exited || commits < rounds) {
      const stored = await store.commit({
        runId: parentRun,
        expectLastSeq: lastSeq,
        events: [log(`parent ${commits} a`), log(`parent ${commits} b`)],
        memory: [{ scope: 'agent:both', key: `parent ${commits}`, value: commits }],
      })
      lastSeq = stored[stored.length - 1]!.seq
      await store.commit({ runId: sharedRun, events: [log(`parent ${commits}`)] })
      const seqs = (await store.events.read(sharedRun, { limit: 100_000 })).map((e) => e.seq)
      expect(seqs).toEqual(seqs.map((_, k) => k + 1))
      commits++
    }
    const result = await done
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    expect(result.lines.at(-1)).toMatchObject({ step: 'done', lastSeq: 3 + rounds * 2 })

    const expected = {
      [parentRun]: 3 + commits * 2,
      [childRun]: 3 + rounds * 2,
      [sharedRun]: 3 + commits + rounds,
    }
    for (const runId of [parentRun, childRun, sharedRun]) {
      const events = await store.events.read(runId, { limit: 100_000 })
      expect(events.map((e) => e.seq)).toEqual(Array.from({ length: expected[runId]! }, (_, k) => k + 1))
      expect((await store.runs.get(runId))?.lastSeq).toBe(expected[runId])
      // The file itself: one whole event per line, nothing else.
      expect(jsonl(join(dir, 'runs', runId, 'events.jsonl')).map((e) => e.seq)).toEqual(
        events.map((e) => e.seq),
      )
    }
    // Every commit to the shared run landed exactly once, and the two writers really interleaved.
    const shared = (await store.events.read(sharedRun, { limit: 100_000 })).slice(3)
    const messages = shared.map((e) => (e.data as { message: string }).message)
    expect(new Set(messages).size).toBe(commits + rounds)
    const authors = messages.map((m) => m.split(' ')[0])
    const switches = authors.filter((a, i) => i > 0 && a !== authors[i - 1]).length
    expect(switches).toBeGreaterThan(1)
    // Both processes wrote one agent memory scope under the memory lock: every key is there.
    const keys = (await store.memory.list('agent:both')).map((e) => e.key)
    expect(keys).toHaveLength(commits + rounds)
    expect(keys.filter((k) => k.startsWith('child '))).toHaveLength(rounds)
    await store.close()

    // Nothing was left for a repair to do, and no lock is held.
    const repairs: RepairReport[] = []
    const reopened = createFsStore({ dir, onRepair: (_, r) => repairs.push(r) })
    await reopened.init()
    await reopened.close()
    expect(repairs).toEqual([])
    expect(readdirSync(join(dir, 'locks'))).toEqual([])
  })

  it('two processes racing for the same run leases: exactly one wins each', async () => {
    const dir = newDir()
    const store = await openStore(dir)
    const runIds = Array.from({ length: 20 }, () => newRunId())
    for (const runId of runIds) await store.commit(createCommit(runId))

    const { done, line } = startChild(['lease-race', dir, 'child', ...runIds])
    await line('ready')
    const mine: Record<string, boolean> = {}
    for (const runId of runIds) mine[runId] = (await store.leases.acquire(runId, 'parent', 60_000)).acquired
    const result = await done
    expect(result.code).toBe(0)
    const theirs = result.lines.at(-1)!.acquired as Record<string, boolean>
    for (const runId of runIds) {
      expect(mine[runId] !== theirs[runId], `exactly one owner of ${runId}`).toBe(true)
      expect((await store.leases.get(runId))?.owner).toBe(mine[runId] ? 'parent' : 'child')
    }
    await store.close()
  })

  it('a writer killed with SIGKILL at any moment leaves a store that opens consistent: all of each commit or none', async () => {
    const dir = newDir()
    const runId = newRunId()
    const store = await openStore(dir)
    await store.commit(createCommit(runId))
    await store.close()
    let commitsSeen = 0
    // A few kills by default (each costs a process start); WEFT_FS_KILL_ROUNDS=50 for a soak.
    const rounds = Number(process.env.WEFT_FS_KILL_ROUNDS ?? 3)
    for (let round = 0; round < rounds; round++) {
      const delayMs = 150 + Math.floor(Math.random() * 300)
      const { child, done, line } = startChild(['commit-forever', dir, runId])
      await line('ready')
      await new Promise((r) => setTimeout(r, delayMs))
      child.kill('SIGKILL')
      await done

      const reopened = await openStore(dir)
      const summary = (await reopened.runs.get(runId))!
      const events = await reopened.events.read(runId, { limit: 100_000 })
      const task = await reopened.tasks.get(runId, 'a')
      const context = `round ${round}, killed after ${delayMs} ms`
      expect(
        events.map((e) => e.seq),
        context,
      ).toEqual(events.map((_, k) => k + 1))
      expect(summary.lastSeq, context).toBe(events.length)
      // 3 creation events, then 2 per commit; the summary and the task carry the last commit's number.
      const commits = (events.length - 3) / 2
      expect(Number.isInteger(commits), context).toBe(true)
      expect(summary.outputs?.i ?? -1, context).toBe(commits - 1)
      expect(task?.output ?? -1, context).toBe(commits - 1)
      expect((await reopened.memory.get(`run:${runId}`, 'i'))?.value ?? -1, context).toBe(commits - 1)
      expect((await reopened.memory.get('agent:killed', 'i'))?.value ?? -1, context).toBe(commits - 1)
      expect(commits, context).toBeGreaterThanOrEqual(commitsSeen)
      commitsSeen = commits
      // This process can write right away: the dead writer's lock is broken, its tail cut.
      await reopened.commit({ runId, expectLastSeq: events.length, events: [log('a'), log('b')] })
      await reopened.commit({
        runId,
        run: { ...summary, lastSeq: 0, outputs: { i: commits } },
        tasks: [{ ...task!, output: commits }],
        events: [],
        memory: [
          { scope: `run:${runId}`, key: 'i', value: commits },
          { scope: 'agent:killed', key: 'i', value: commits },
        ],
      })
      commitsSeen++
      await reopened.close()
    }
    expect(commitsSeen).toBeGreaterThan(rounds)
  })
})
