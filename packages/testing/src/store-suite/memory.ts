import { type Commit, type Json, newRunId, type StoreWith } from '@weft/core'
import { beforeEach, describe, expect, it } from 'vitest'
import { buildCreateCommit, buildTaskState, isoAt, logEvent, TRICKY_JSON } from '../fixtures.js'
import { CLOCK_SLACK_MS, expectWeftError, pause, type StoreSuite } from './helpers.js'

/**
 * Memory as the runtime uses it: a commit of a run writes its own `run:<id>` scope and agent
 * scopes (`agent:<name>`, shared by every run). What a commit of one run writes to ANOTHER
 * run's `run:` scope is left unspecified: a store that keeps a run's scope with the run (fs)
 * cannot make it atomic with the other run's own commits, and refuses it.
 */
export function describeMemory(suite: StoreSuite): void {
  const { createRun, snapshot } = suite
  describe('memory', () => {
    let store: StoreWith<'memory'>
    beforeEach(() => {
      store = suite.store as StoreWith<'memory'>
    })

    type MemoryWrite = NonNullable<Commit['memory']>[number]
    const w = (scope: string, key: string, value: Json | null): MemoryWrite => ({ scope, key, value })
    /** A commit that only writes memory. */
    const remember = (runId: string, memory: MemoryWrite[]) => store.commit({ runId, events: [], memory })
    const entries = async (scope: string) =>
      (await store.memory.list(scope)).map((e): [string, Json] => [e.key, e.value])

    it('keeps what commits write, the creating commit included, with scope, key and time', async () => {
      const runId = newRunId()
      const scope = `run:${runId}`
      const before = Date.now()
      await store.commit({
        ...buildCreateCommit(runId),
        memory: [w(scope, 'plan', { steps: ['a', 'b'], done: false }), w('agent:writer', 'style', 'terse')],
      })
      const plan = await store.memory.get(scope, 'plan')
      expect(plan).toEqual({
        scope,
        key: 'plan',
        value: { steps: ['a', 'b'], done: false },
        updatedAt: expect.any(String),
      })
      // An ISO time, taken when the commit was made.
      expect(new Date(plan!.updatedAt).toISOString()).toBe(plan!.updatedAt)
      expect(Date.parse(plan!.updatedAt)).toBeGreaterThanOrEqual(before - CLOCK_SLACK_MS)
      expect(Date.parse(plan!.updatedAt)).toBeLessThanOrEqual(Date.now() + CLOCK_SLACK_MS)
      expect(await store.memory.get('agent:writer', 'style')).toMatchObject({
        scope: 'agent:writer',
        key: 'style',
        value: 'terse',
      })
      expect(await store.memory.list(scope)).toEqual([plan])

      // A memory-only commit moves no seq.
      await remember(runId, [w(scope, 'notes', 'n')])
      expect((await store.runs.get(runId))?.lastSeq).toBe(3)
      expect(await store.events.read(runId)).toHaveLength(3)
      expect(await entries(scope)).toEqual([
        ['notes', 'n'],
        ['plan', { steps: ['a', 'b'], done: false }],
      ])
    })

    it('lists a scope sorted by key, by UTF-16 code units like artifact names', async () => {
      const { runId } = await createRun()
      const scope = `run:${runId}`
      // Written out of order on purpose. '🧵' (a surrogate pair) sorts before '～' (U+FF5E) in
      // UTF-16, after it by code points or UTF-8 bytes.
      const keys = ['b', '～', 'a.b', '🧵', 'B', '9', 'ä', '10', 'a']
      await remember(
        runId,
        keys.map((key, i) => w(scope, key, i)),
      )
      const listed = await store.memory.list(scope)
      expect(listed.map((e) => e.key)).toEqual(['10', '9', 'B', 'a', 'a.b', 'b', 'ä', '🧵', '～'])
      for (const e of listed) {
        expect(e.scope).toBe(scope)
        expect(e.value).toBe(keys.indexOf(e.key))
      }
    })

    it('deletes a key with a null value and applies the writes of one commit in order', async () => {
      const { runId } = await createRun()
      const scope = `run:${runId}`
      await remember(runId, [
        w(scope, 'x', 1),
        w(scope, 'x', 2),
        w(scope, 'gone', 'soon'),
        w(scope, 'gone', null),
        w(scope, 'y', 'keep'),
      ])
      expect(await entries(scope)).toEqual([
        ['x', 2],
        ['y', 'keep'],
      ])
      // Falsy values are values: only null deletes.
      await remember(runId, [
        w(scope, 'zero', 0),
        w(scope, 'false', false),
        w(scope, 'empty', ''),
        w(scope, 'list', []),
        w(scope, 'object', {}),
      ])
      expect(await entries(scope)).toEqual([
        ['empty', ''],
        ['false', false],
        ['list', []],
        ['object', {}],
        ['x', 2],
        ['y', 'keep'],
        ['zero', 0],
      ])
      // Deleting a key that is not there is no error.
      await remember(runId, [w(scope, 'never', null), w(scope, 'x', null)])
      expect(await store.memory.get(scope, 'x')).toBeUndefined()
      expect(await store.memory.get(scope, 'never')).toBeUndefined()
      // Deleting every key empties the scope; a deleted key can be set again.
      await remember(
        runId,
        (await store.memory.list(scope)).map((e) => w(scope, e.key, null)),
      )
      expect(await store.memory.list(scope)).toEqual([])
      await remember(runId, [w(scope, 'x', 'back')])
      expect(await entries(scope)).toEqual([['x', 'back']])
    })

    it('answers "nothing" for unknown scopes and keys instead of throwing', async () => {
      expect(await store.memory.get('agent:nobody', 'k')).toBeUndefined()
      expect(await store.memory.list('agent:nobody')).toEqual([])
      const unknown = newRunId()
      expect(await store.memory.get(`run:${unknown}`, 'k')).toBeUndefined()
      expect(await store.memory.list(`run:${unknown}`)).toEqual([])

      const { runId } = await createRun()
      expect(await store.memory.list(`run:${runId}`)).toEqual([])
      await remember(runId, [w('agent:some', 'k', 'v')])
      expect(await store.memory.get('agent:some', 'other')).toBeUndefined()
      // Scopes match exactly: no prefix, case folding or trimming.
      for (const scope of ['agent:Some', 'agent:som', 'agent:some ', 'agent:some:k', 'agent', 'some']) {
        expect(await store.memory.list(scope)).toEqual([])
        expect(await store.memory.get(scope, 'k')).toBeUndefined()
      }
    })

    it('writes memory atomically with the rest of the commit: a refused commit writes none of it', async () => {
      const { runId, commit } = await createRun()
      const scope = `run:${runId}`
      await remember(runId, [w(scope, 'kept', 'old'), w('agent:atomic', 'kept', 'old')])
      const before = {
        agent: await store.memory.list('agent:atomic'),
        snapshot: await snapshot(runId),
      }
      expect(before.snapshot.memory).toHaveLength(1)
      const refused: Commit = {
        runId,
        expectLastSeq: 2,
        run: { ...commit.run!, status: 'running', updatedAt: isoAt(5) },
        tasks: [buildTaskState(runId, 'a', 0, { status: 'running', attempt: 1 })],
        events: [logEvent('x')],
        memory: [
          w(scope, 'kept', null),
          w(scope, 'new', 1),
          w('agent:atomic', 'kept', 'changed'),
          w('agent:atomic', 'new', 1),
          w('agent:untouched', 'k', 'v'),
        ],
      }
      await expectWeftError(store.commit(refused), 'conflict')
      // A commit to a run that does not exist, and a second create, write no memory either.
      await expectWeftError(
        store.commit({ runId: newRunId(), events: [], memory: [w('agent:untouched', 'k', 'v')] }),
        'run_not_found',
      )
      await expectWeftError(
        store.commit({
          ...buildCreateCommit(runId),
          memory: [w(scope, 'new', 1), w('agent:untouched', 'k', 'v')],
        }),
        'conflict',
      )
      expect(await snapshot(runId)).toEqual(before.snapshot)
      expect(await store.memory.list('agent:atomic')).toEqual(before.agent)
      expect(await store.memory.list('agent:untouched')).toEqual([])

      // The same commit with the right expectation writes all of it.
      await store.commit({ ...refused, expectLastSeq: 3 })
      expect(await entries(scope)).toEqual([['new', 1]])
      expect(await entries('agent:atomic')).toEqual([
        ['kept', 'changed'],
        ['new', 1],
      ])
      expect(await entries('agent:untouched')).toEqual([['k', 'v']])
      expect((await store.runs.get(runId))?.status).toBe('running')
    })

    it('keeps scopes apart, and shares an agent scope between the commits of every run', async () => {
      const one = (await createRun()).runId
      const two = (await createRun()).runId
      await remember(one, [
        w(`run:${one}`, 'k', 'one'),
        w('agent:shared', 'from-one', 1),
        w('agent:shared', 'both', 1),
      ])
      await remember(two, [
        w(`run:${two}`, 'k', 'two'),
        w('agent:shared', 'from-two', 2),
        w('agent:shared', 'both', 2),
      ])
      expect(await entries(`run:${one}`)).toEqual([['k', 'one']])
      expect(await entries(`run:${two}`)).toEqual([['k', 'two']])
      expect(await entries('agent:shared')).toEqual([
        ['both', 2],
        ['from-one', 1],
        ['from-two', 2],
      ])
      await remember(one, [w('agent:shared', 'from-two', null)])
      expect(await entries('agent:shared')).toEqual([
        ['both', 2],
        ['from-one', 1],
      ])

      // Scope names are kept exactly, whatever characters they hold (a store that names files
      // after scopes must not let them collide or leave their directory).
      const odd = [
        'agent:Shared',
        'agent:shared ',
        'agent:../../escape',
        'agent:with/slash\\and\\backslash',
        'agent:ünï 🧵',
        'agent:a:b',
        `agent:${'long'.repeat(100)}`,
      ]
      await remember(
        one,
        odd.map((scope, i) => w(scope, 'i', i)),
      )
      for (const [i, scope] of odd.entries()) {
        expect(await store.memory.list(scope)).toEqual([
          { scope, key: 'i', value: i, updatedAt: expect.any(String) },
        ])
      }
      expect(await entries('agent:shared')).toEqual([
        ['both', 2],
        ['from-one', 1],
      ])
    })

    it('changes updatedAt when a key is written again, even with the same value', async () => {
      const { runId } = await createRun()
      await remember(runId, [w('agent:clock', 'a', 1), w('agent:clock', 'b', 1)])
      const [a1, b1] = await store.memory.list('agent:clock')
      await pause(15)
      await remember(runId, [w('agent:clock', 'a', 1)])
      const [a2, b2] = await store.memory.list('agent:clock')
      expect(a2!.value).toBe(1)
      expect(Date.parse(a2!.updatedAt)).toBeGreaterThan(Date.parse(a1!.updatedAt))
      expect(b2).toEqual(b1)
    })

    it('removes the run scope of deleted runs with runs.delete, and keeps agent scopes', async () => {
      const doomed = (await createRun()).runId
      const keep = (await createRun()).runId
      await remember(doomed, [w(`run:${doomed}`, 'k', 'doomed'), w('agent:survivor', 'from-doomed', true)])
      await remember(keep, [w(`run:${keep}`, 'k', 'keep'), w('agent:survivor', 'from-keep', true)])
      expect(await store.runs.delete([doomed])).toBe(1)
      expect(await store.memory.list(`run:${doomed}`)).toEqual([])
      expect(await store.memory.get(`run:${doomed}`, 'k')).toBeUndefined()
      expect(await entries(`run:${keep}`)).toEqual([['k', 'keep']])
      // Agent memory outlives the runs that wrote it.
      expect(await entries('agent:survivor')).toEqual([
        ['from-doomed', true],
        ['from-keep', true],
      ])
      // A run created again under a deleted id starts with empty memory.
      await createRun({}, doomed)
      expect(await store.memory.list(`run:${doomed}`)).toEqual([])
    })

    it('loses no write of concurrent commits of several runs to one agent scope', async () => {
      const runs = await Promise.all(Array.from({ length: 4 }, () => createRun()))
      await Promise.all(
        runs.flatMap(({ runId }, r) =>
          Array.from({ length: 3 }, (_, c) =>
            remember(runId, [w('agent:busy', `r${r}-c${c}`, c), w(`run:${runId}`, `c${c}`, r)]),
          ),
        ),
      )
      const expected = runs.flatMap((_, r) => [0, 1, 2].map((c) => `r${r}-c${c}`)).sort()
      expect((await store.memory.list('agent:busy')).map((e) => e.key)).toEqual(expected)
      for (const [r, { runId }] of runs.entries()) {
        expect(await entries(`run:${runId}`)).toEqual([
          ['c0', r],
          ['c1', r],
          ['c2', r],
        ])
      }
    })

    describe('data fidelity', () => {
      const tricky = TRICKY_JSON

      it('round-trips nested JSON and unicode in memory values, keys and scopes', async () => {
        const { runId } = await createRun()
        const scope = `run:${runId}`
        const values: [string, Json][] = [
          ['tricky', tricky],
          ['text', (tricky as { unicode: string }).unicode],
          ['numbers', (tricky as { numbers: Json }).numbers],
          ['nulls inside', { a: null, b: [null, { c: null }] }],
          ['key with spaces & ünïcode 🔑 "quoted"', 'v'],
          ["'; DROP TABLE memory; --", 'x'],
          ['__proto__', { polluted: true }],
          ['constructor', 'c'],
        ]
        await store.commit({
          runId,
          events: [],
          memory: [
            ...values.map(([key, value]) => ({ scope, key, value })),
            { scope: 'agent:fidélité 🧵', key: 'doc', value: tricky },
          ],
        })
        for (const [key, value] of values) {
          const entry = await store.memory.get(scope, key)
          expect(entry?.value, key).toEqual(value)
          expect(entry?.key).toBe(key)
        }
        const listed = await store.memory.list(scope)
        expect(listed.map((e) => e.key)).toEqual(values.map(([key]) => key).sort())
        expect(listed.find((e) => e.key === '__proto__')?.value).toEqual({ polluted: true })
        expect((await store.memory.get('agent:fidélité 🧵', 'doc'))?.value).toEqual(tricky)
        // Nothing leaked into plain objects.
        expect(({} as { polluted?: boolean }).polluted).toBeUndefined()
      })
    })
  })
}
