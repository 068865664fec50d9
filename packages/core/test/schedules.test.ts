import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { hostname, tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import {
  createManualClock,
  createMemoryStore,
  createRuntime,
  defineSchedule,
  type FullStore,
  newOwnerName,
  parseCron,
  type RunSummary,
  type Runtime,
  requireSchedules,
  type Schedule,
  startScheduleRunner,
  type WorkflowInput,
} from '../src/index.js'
import { testBackend } from './helpers/test-backend.js'

const wf: WorkflowInput = { weft: 1, name: 'ticking', defaults: { backend: 'test' }, tasks: { a: {} } }
const T0 = Date.parse('2026-01-01T00:00:00.000Z')

const closers: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close()
})

function runtimeOn(store: FullStore): Runtime {
  const runtime = createRuntime({ store, backends: [testBackend()] })
  closers.push(() => runtime.close())
  return runtime
}

/** Every run, oldest first, with the tick it was started for. */
async function scheduledRuns(runtime: Runtime): Promise<{ run: RunSummary; tick: string }[]> {
  const runs = (await runtime.list({ limit: 1000 })).items
  return runs
    .map((run) => ({ run, tick: run.tags.find((t) => t.startsWith('tick:'))?.slice(5) ?? '' }))
    .sort((a, b) => (a.tick < b.tick ? -1 : 1))
}

function everySecond(over: Partial<Schedule> = {}): Schedule {
  return {
    ...defineSchedule(
      { workflow: { document: wf as unknown as Record<string, never> }, cron: '* * * * * *' },
      T0,
    ),
    id: 'sch_test',
    ...over,
  }
}

describe('cron', () => {
  it('reads 5 and 6 fields, in a time zone', () => {
    expect(new Date(parseCron('*/2 * * * * *').next(T0 + 500)!).toISOString()).toBe(
      '2026-01-01T00:00:02.000Z',
    )
    expect(new Date(parseCron('0 9 * * 1-5').next(T0)!).toISOString()).toBe('2026-01-01T09:00:00.000Z')
    expect(new Date(parseCron('0 9 * * *', 'Europe/Paris').next(T0)!).toISOString()).toBe(
      '2026-01-01T08:00:00.000Z',
    )
  })

  it('names the field that is wrong and shows an example', () => {
    expect(() => parseCron('61 * * * *')).toThrow(/field 1 \(minute\) "61" is not valid/)
    expect(() => parseCron('* 25 * * *')).toThrow(/field 2 \(hour\)/)
    expect(() => parseCron('0 0 25 * * *')).toThrow(/field 3 \(hour\) "25"/)
    expect(() => parseCron('* * * * 9')).toThrow(/field 5 \(day of week\)/)
    expect(() => parseCron('* * *')).toThrow(/has 3 fields/)
    try {
      parseCron('every day')
    } catch (err) {
      expect((err as { hint?: string }).hint).toContain('"0 9 * * 1-5"')
    }
    expect(() => parseCron('* * * * *', 'Mars/Base')).toThrow(/unknown time zone 'Mars\/Base'/)
  })
})

describe('schedule runner', () => {
  it('starts one run per tick with initiator schedule, and none for a disabled schedule', async () => {
    const store = createMemoryStore()
    const runtime = runtimeOn(store)
    await requireSchedules(store).put(everySecond())
    await requireSchedules(store).put(everySecond({ id: 'sch_off', enabled: false }))
    const clock = createManualClock(T0)
    const runner = await startScheduleRunner({ runtime, clock })
    closers.push(() => runner.stop())
    clock.advance(3000)
    await runner.pass()
    const runs = await scheduledRuns(runtime)
    expect(runs.map((r) => r.tick)).toEqual([
      '2026-01-01T00:00:01.000Z',
      '2026-01-01T00:00:02.000Z',
      '2026-01-01T00:00:03.000Z',
    ])
    for (const { run } of runs) {
      expect(run.initiator).toBe('schedule')
      expect(run.tags).toContain('schedule:sch_test')
    }
    expect(await requireSchedules(store).get('sch_test')).toMatchObject({
      lastTickAt: '2026-01-01T00:00:03.000Z',
      nextTickAt: '2026-01-01T00:00:04.000Z',
    })
    const ticks = await requireSchedules(store).ticks('sch_test')
    expect(ticks.map((t) => t.runId).sort()).toEqual(runs.map((r) => r.run.id).sort())
  })

  it('a schedule enabled again starts from then: no burst for the ticks while it was disabled', async () => {
    const store = createMemoryStore()
    const runtime = runtimeOn(store)
    const schedules = requireSchedules(store)
    await schedules.put(everySecond({ enabled: false }))
    const clock = createManualClock(T0)
    const runner = await startScheduleRunner({ runtime, clock })
    closers.push(() => runner.stop())
    clock.advance(30_000)
    await runner.pass()
    await schedules.put({ ...(await schedules.get('sch_test'))!, enabled: true })
    clock.advance(2000)
    await runner.pass()
    expect((await scheduledRuns(runtime)).map((r) => r.tick)).toEqual([
      '2026-01-01T00:00:31.000Z',
      '2026-01-01T00:00:32.000Z',
    ])
  })

  it('a runner without a workflows folder leaves the folder schedules alone (once warned), and runs the rest', async () => {
    const store = createMemoryStore()
    const runtime = runtimeOn(store)
    await requireSchedules(store).put(everySecond())
    await requireSchedules(store).put(
      everySecond({ id: 'wf_nightly_0', workflow: { name: 'nightly' }, origin: 'folder' }),
    )
    const warnings: string[] = []
    const clock = createManualClock(T0)
    const runner = await startScheduleRunner({
      runtime,
      clock,
      logger: { info() {}, warn: (_: unknown, message: string) => void warnings.push(message) },
    })
    closers.push(() => runner.stop())
    clock.advance(3000)
    await runner.pass()
    const runs = await scheduledRuns(runtime)
    expect(runs.length).toBe(3)
    expect(runs.every(({ run }) => run.tags.includes('schedule:sch_test'))).toBe(true)
    expect(warnings.filter((w) => w.includes('has none'))).toHaveLength(1)
  })

  it('a tick whose claimer died before its run is taken over once; one whose run exists is not run again', async () => {
    const store = createMemoryStore()
    const runtime = runtimeOn(store)
    const schedules = requireSchedules(store)
    await schedules.put(everySecond())
    // A process of this host that is gone (no such pid), and this process (alive).
    const dead = `${hostname()}:4194303:0:dead00`
    const alive = newOwnerName()
    const tick = (s: number) => `2026-01-01T00:00:0${s}.000Z`
    await schedules.claimTick('sch_test', tick(1), dead) // died before creating the run
    await schedules.claimTick('sch_test', tick(2), dead) // died after creating it
    const created = await runtime.start({
      workflow: wf,
      initiator: 'schedule',
      tags: ['schedule:sch_test', `tick:${tick(2)}`],
    })
    await schedules.claimTick('sch_test', tick(3), alive) // still starting its run
    const clock = createManualClock(T0)
    const runner = await startScheduleRunner({ runtime, clock, owner: 'runner' })
    closers.push(() => runner.stop())
    clock.advance(4000)
    await runner.pass()
    const byTick = (await scheduledRuns(runtime)).map((r) => r.tick)
    expect(byTick).toEqual([tick(1), tick(2), tick(4)])
    expect(await schedules.getTick('sch_test', tick(1))).toMatchObject({ owner: 'runner' })
    expect(await schedules.getTick('sch_test', tick(2))).toMatchObject({ owner: dead, runId: created.id })
    expect(await schedules.getTick('sch_test', tick(3))).toMatchObject({ owner: alive })
  })

  it('two runners on one store start each tick once', async () => {
    const store = createMemoryStore()
    const a = runtimeOn(store)
    const b = runtimeOn(store)
    await requireSchedules(store).put(everySecond())
    const clock = createManualClock(T0)
    const one = await startScheduleRunner({ runtime: a, clock, owner: 'a' })
    const two = await startScheduleRunner({ runtime: b, clock, owner: 'b' })
    closers.push(
      () => one.stop(),
      () => two.stop(),
    )
    for (let i = 0; i < 5; i++) {
      clock.advance(1000)
      await Promise.all([one.pass(), two.pass()])
    }
    const ticks = (await scheduledRuns(a)).map((r) => r.tick)
    expect(ticks).toHaveLength(5)
    expect(new Set(ticks).size).toBe(5)
  })

  for (const [policy, expected] of [
    ['catchUp', ['2026-01-01T00:00:10.000Z']],
    ['skip', []],
  ] as const) {
    it(`after a restart, ticks missed while down: ${policy} starts ${expected.length} run`, async () => {
      const store = createMemoryStore()
      await requireSchedules(store).put(everySecond({ missed: policy }))
      const clock = createManualClock(T0)
      const first = runtimeOn(store)
      const before = await startScheduleRunner({ runtime: first, clock })
      clock.advance(2000)
      await before.pass()
      await before.stop()
      // Down from 00:02 to 00:10.5: ticks 3…10 are missed.
      clock.advance(8500)
      const second = runtimeOn(store)
      const after = await startScheduleRunner({ runtime: second, clock })
      closers.push(() => after.stop())
      const ticks = (await scheduledRuns(second)).map((r) => r.tick)
      expect(ticks).toEqual(['2026-01-01T00:00:01.000Z', '2026-01-01T00:00:02.000Z', ...expected])
      // Live ticks after the restart all fire.
      clock.advance(2000)
      await after.pass()
      expect((await scheduledRuns(second)).map((r) => r.tick).slice(-2)).toEqual([
        '2026-01-01T00:00:11.000Z',
        '2026-01-01T00:00:12.000Z',
      ])
    })
  }

  it('syncs the schedules: of folder workflows once, and runs them by name', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'weft-schedules-'))
    closers.push(() => rmSync(dir, { recursive: true, force: true }))
    writeFileSync(
      join(dir, 'nightly.yaml'),
      [
        'weft: 1',
        'name: nightly',
        'inputs: { who: { type: string } }',
        'defaults: { backend: test }',
        'schedules:',
        '  - { cron: "* * * * * *", inputs: { who: folder }, missed: catchUp }',
        '  - { cron: "0 9 * * 1-5", enabled: false }',
        'tasks: { a: { prompt: "hi ${{ inputs.who }}" } }',
      ].join('\n'),
    )
    writeFileSync(
      join(dir, 'broken.yaml'),
      'weft: 1\nname: broken\nschedules:\n  - { cron: "61 * * * *" }\ntasks: { a: {} }\n',
    )
    const store = createMemoryStore()
    const clock = createManualClock(T0)
    const runtime = runtimeOn(store)
    const warnings: string[] = []
    const logger = { info() {}, warn: (_: unknown, message: string) => void warnings.push(message) }
    const first = await startScheduleRunner({ runtime, clock, workflowsDir: dir, logger })
    await first.stop()
    // A second server starting on the same store and folder changes nothing.
    const second = await startScheduleRunner({ runtime: runtimeOn(store), clock, workflowsDir: dir, logger })
    closers.push(() => second.stop())
    const listed = await requireSchedules(store).list()
    expect(listed.map((s) => [s.id, s.origin, s.enabled, s.missed])).toEqual([
      ['wf_nightly_0', 'folder', true, 'catchUp'],
      ['wf_nightly_1', 'folder', false, 'skip'],
    ])
    expect(warnings.some((w) => /broken\.yaml: schedules\[0\].*field 1 \(minute\)/.test(w))).toBe(true)
    clock.advance(1000)
    await second.pass()
    const [run] = await scheduledRuns(runtime)
    expect(run?.run).toMatchObject({ initiator: 'schedule', name: 'nightly' })
    expect((await runtime.wait(run!.run.id)).status).toBe('succeeded')
    expect((await store.tasks.get(run!.run.id, 'a'))?.output).toBeDefined()
  })
})
