import { type Schedule, type ScheduleStore, scheduleStoreOf } from '@weft/core'
import { beforeEach, describe, expect, it } from 'vitest'
import type { StoreSuite } from './helpers.js'

/**
 * The `schedules` capability: schedules kept in the store, and ticks claimed exactly once per
 * `(schedule, tick)` whoever asks (several processes, restarts).
 */
export function describeSchedules(suite: StoreSuite): void {
  describe('schedules', () => {
    let store: ScheduleStore
    beforeEach(() => {
      store = scheduleStoreOf(suite.store)!
    })
    const schedule = (id: string, over: Partial<Schedule> = {}): Schedule => ({
      id,
      workflow: {
        document: { weft: 1, name: 'nightly', tasks: { a: { prompt: 'hi ünï 🧵' } } },
        source: '/w/n.yaml',
      },
      cron: '*/5 * * * * *',
      inputs: { repo: 'acme/api', n: 3, deep: { list: [1, null, true] } },
      missed: 'skip',
      enabled: true,
      origin: 'user',
      createdAt: '2026-01-01T00:00:00.000Z',
      ...over,
    })

    it('declares the part it has', () => {
      expect(scheduleStoreOf(suite.store)).toBeDefined()
    })

    it('puts, gets, lists oldest first and removes schedules', async () => {
      const a = schedule('sch_a', {
        createdAt: '2026-01-01T00:00:02.000Z',
        timezone: 'Europe/Paris',
        name: 'A',
      })
      const b = schedule('sch_b', { createdAt: '2026-01-01T00:00:01.000Z', workflow: { name: 'nightly' } })
      const c = schedule('sch_c', {
        createdAt: '2026-01-01T00:00:02.000Z',
        missed: 'catchUp',
        enabled: false,
      })
      for (const s of [a, b, c]) await store.put(s)
      expect(await store.get('sch_a')).toEqual(a)
      expect(await store.get('sch_b')).toEqual(b)
      expect(await store.get('sch_nope')).toBeUndefined()
      expect((await store.list()).map((s) => s.id)).toEqual(['sch_b', 'sch_a', 'sch_c'])
      expect(await store.remove('sch_a')).toBe(true)
      expect(await store.remove('sch_a')).toBe(false)
      expect(await store.get('sch_a')).toBeUndefined()
      expect((await store.list()).map((s) => s.id)).toEqual(['sch_b', 'sch_c'])
    })

    it('put replaces a definition but never moves lastTickAt back', async () => {
      await store.put(schedule('sch_1'))
      await store.advance('sch_1', '2026-01-01T00:00:10.000Z', '2026-01-01T00:00:15.000Z')
      await store.put(schedule('sch_1', { cron: '0 * * * * *' }))
      const got = await store.get('sch_1')
      expect(got).toMatchObject({ cron: '0 * * * * *', lastTickAt: '2026-01-01T00:00:10.000Z' })
      await store.put(
        schedule('sch_1', { lastTickAt: '2026-01-01T00:01:00.000Z', nextTickAt: '2026-01-01T00:02:00.000Z' }),
      )
      expect(await store.get('sch_1')).toMatchObject({
        lastTickAt: '2026-01-01T00:01:00.000Z',
        nextTickAt: '2026-01-01T00:02:00.000Z',
      })
    })

    it('advance moves lastTickAt forward only, with nextTickAt', async () => {
      await store.put(schedule('sch_1'))
      await store.advance('sch_1', '2026-01-01T00:00:10.000Z', '2026-01-01T00:00:15.000Z')
      await store.advance('sch_1', '2026-01-01T00:00:05.000Z', '2026-01-01T00:00:10.000Z')
      expect(await store.get('sch_1')).toMatchObject({
        lastTickAt: '2026-01-01T00:00:10.000Z',
        nextTickAt: '2026-01-01T00:00:15.000Z',
      })
      await store.advance('sch_1', '2026-01-01T00:00:15.000Z')
      const got = await store.get('sch_1')
      expect(got?.lastTickAt).toBe('2026-01-01T00:00:15.000Z')
      expect(got?.nextTickAt).toBeUndefined()
      await store.advance('sch_gone', '2026-01-01T00:00:15.000Z') // no schedule: nothing happens
    })

    it('claims a tick once; another tick or another schedule is another claim', async () => {
      await store.put(schedule('sch_1'))
      await store.put(schedule('sch_2'))
      const t = '2026-01-01T00:00:05.000Z'
      expect(await store.claimTick('sch_1', t, 'owner-a')).toBe(true)
      expect(await store.claimTick('sch_1', t, 'owner-b')).toBe(false)
      expect(await store.claimTick('sch_1', t, 'owner-a')).toBe(false)
      expect(await store.claimTick('sch_1', '2026-01-01T00:00:10.000Z')).toBe(true)
      expect(await store.claimTick('sch_2', t)).toBe(true)
    })

    it('exactly one of many concurrent claims of a tick wins', async () => {
      await store.put(schedule('sch_1'))
      const answers = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          store.claimTick('sch_1', '2026-01-01T00:00:05.000Z', `owner-${i}`),
        ),
      )
      expect(answers.filter(Boolean)).toHaveLength(1)
    })

    // Only for stores that can be opened again, as another process would.
    const canReopen = suite.openAgain !== undefined
    it.runIf(canReopen)(
      'a second handle on the store (another process) cannot claim a claimed tick',
      async () => {
        await store.put(schedule('sch_1'))
        const other = scheduleStoreOf(await suite.openAgain!())!
        const t = '2026-01-01T00:00:05.000Z'
        const answers = await Promise.all([
          store.claimTick('sch_1', t, 'a'),
          other.claimTick('sch_1', t, 'b'),
        ])
        expect(answers.filter(Boolean)).toHaveLength(1)
        expect(await other.get('sch_1')).toEqual(schedule('sch_1'))
      },
    )

    it('records the run of a tick and lists ticks newest first; prune forgets old ones', async () => {
      await store.put(schedule('sch_1'))
      const ticks = ['2026-01-01T00:00:05.000Z', '2026-01-01T00:00:10.000Z', '2026-01-01T00:00:15.000Z']
      for (const t of ticks) expect(await store.claimTick('sch_1', t, 'owner-a')).toBe(true)
      await store.completeTick('sch_1', ticks[1]!, 'run_1')
      const listed = await store.ticks('sch_1')
      expect(listed.map((t) => t.tickAt)).toEqual([...ticks].reverse())
      expect(listed[1]).toMatchObject({
        scheduleId: 'sch_1',
        tickAt: ticks[1],
        owner: 'owner-a',
        runId: 'run_1',
      })
      expect(listed[0]!.runId).toBeUndefined()
      expect(Number.isNaN(Date.parse(listed[0]!.claimedAt))).toBe(false)
      expect((await store.ticks('sch_1', { limit: 1 })).map((t) => t.tickAt)).toEqual([ticks[2]])
      expect(await store.pruneTicks('sch_1', ticks[2]!)).toBe(2)
      expect((await store.ticks('sch_1')).map((t) => t.tickAt)).toEqual([ticks[2]])
      expect(await store.ticks('sch_none')).toEqual([])
    })

    it('getTick reads a claim; reclaimTick takes a claim without a run over from its claimer, once', async () => {
      await store.put(schedule('sch_1'))
      const t = '2026-01-01T00:00:05.000Z'
      expect(await store.getTick('sch_1', t)).toBeUndefined()
      expect(await store.reclaimTick('sch_1', t, undefined, 'x')).toBe(false)
      expect(await store.claimTick('sch_1', t, 'dead')).toBe(true)
      expect(await store.getTick('sch_1', t)).toMatchObject({ scheduleId: 'sch_1', tickAt: t, owner: 'dead' })
      expect((await store.getTick('sch_1', t))?.runId).toBeUndefined()
      // Only from the claimer it names.
      expect(await store.reclaimTick('sch_1', t, 'someone-else', 'b')).toBe(false)
      const answers = await Promise.all(
        Array.from({ length: 8 }, (_, i) => store.reclaimTick('sch_1', t, 'dead', `owner-${i}`)),
      )
      expect(answers.filter(Boolean)).toHaveLength(1)
      const winner = `owner-${answers.indexOf(true)}`
      expect((await store.getTick('sch_1', t))?.owner).toBe(winner)
      // A tick with a run is never taken over.
      await store.completeTick('sch_1', t, 'run_1')
      expect(await store.reclaimTick('sch_1', t, winner, 'c')).toBe(false)
      expect(await store.getTick('sch_1', t)).toMatchObject({ owner: winner, runId: 'run_1' })
      // A claim made without an owner is taken over from `undefined`.
      const t2 = '2026-01-01T00:00:10.000Z'
      expect(await store.claimTick('sch_1', t2)).toBe(true)
      expect(await store.reclaimTick('sch_1', t2, undefined, 'd')).toBe(true)
      expect((await store.getTick('sch_1', t2))?.owner).toBe('d')
    })

    it('remove forgets the ticks with the schedule', async () => {
      await store.put(schedule('sch_1'))
      expect(await store.claimTick('sch_1', '2026-01-01T00:00:05.000Z')).toBe(true)
      expect(await store.remove('sch_1')).toBe(true)
      expect(await store.ticks('sch_1')).toEqual([])
      await store.put(schedule('sch_1'))
      expect(await store.claimTick('sch_1', '2026-01-01T00:00:05.000Z')).toBe(true)
    })
  })
}
