import { describe, expect, it } from 'vitest'
import { ContextError, routeOutputs, type UpstreamTask } from '../src/index.js'

const upstream: Record<string, UpstreamTask> = {
  plan: {
    status: 'succeeded',
    output: { stops: ['Alfama', 'Belém'], items: [{ id: 1 }, { id: 2 }] },
    completedAt: '2025-01-01T10:00:00.000Z',
  },
  research: { status: 'succeeded', output: 'Tasca do Chico', completedAt: '2025-01-01T10:01:00.000Z' },
  weather: { status: 'failed' },
  tickets: { status: 'skipped' },
  prose: { status: 'succeeded', text: 'only a text answer' },
}

describe('routeOutputs', () => {
  it('defaults to the needs and leaves out the tasks that did not succeed', () => {
    const { sources, skipped } = routeOutputs(undefined, ['plan', 'weather', 'research', 'tickets'], upstream)
    expect(sources).toEqual([
      {
        taskId: 'plan',
        label: 'tasks.plan',
        value: { stops: ['Alfama', 'Belém'], items: [{ id: 1 }, { id: 2 }] },
        completedAt: '2025-01-01T10:00:00.000Z',
      },
      {
        taskId: 'research',
        label: 'tasks.research',
        value: 'Tasca do Chico',
        completedAt: '2025-01-01T10:01:00.000Z',
      },
    ])
    expect(skipped).toEqual([
      { entry: 'weather', taskId: 'weather', status: 'failed', reason: "task 'weather' is failed" },
      { entry: 'tickets', taskId: 'tickets', status: 'skipped', reason: "task 'tickets' is skipped" },
    ])
  })

  it('resolves named outputs, in `from` order', () => {
    const { sources, skipped } = routeOutputs(
      ['research', 'plan.stops', 'plan.items[1]', 'weather.x'],
      ['plan'],
      upstream,
    )
    expect(sources.map((s) => [s.label, s.value])).toEqual([
      ['tasks.research', 'Tasca do Chico'],
      ['tasks.plan.stops', ['Alfama', 'Belém']],
      ['tasks.plan.items[1]', { id: 2 }],
    ])
    expect(sources[1]).toMatchObject({ taskId: 'plan', completedAt: '2025-01-01T10:00:00.000Z' })
    expect(skipped.map((s) => s.entry)).toEqual(['weather.x'])
  })

  it('takes the text of a task without structured output, and reads each entry once', () => {
    const { sources } = routeOutputs(['prose', 'prose', "plan['stops']", 'plan.stops'], [], upstream)
    expect(sources.map((s) => [s.label, s.value])).toEqual([
      ['tasks.prose', 'only a text answer'],
      ['tasks.plan.stops', ['Alfama', 'Belém']],
    ])
  })

  it('reads task states from a Map too', () => {
    const { sources, skipped } = routeOutputs(
      ['plan.stops', 'weather'],
      [],
      new Map(Object.entries(upstream)),
    )
    expect(sources.map((s) => s.label)).toEqual(['tasks.plan.stops'])
    expect(skipped.map((s) => s.entry)).toEqual(['weather'])
    try {
      routeOutputs(['nope'], [], new Map(Object.entries(upstream)))
      expect.unreachable()
    } catch (err) {
      expect(err).toMatchObject({
        code: 'unknown_task',
        hint: 'upstream tasks: plan, research, weather, tickets, prose',
      })
    }
  })

  it('gives nothing for an explicit empty `from`', () => {
    expect(routeOutputs([], ['plan'], upstream)).toEqual({ sources: [], skipped: [] })
  })

  it('throws on a task that is not upstream, or a path its output does not have', () => {
    expect(() => routeOutputs(['plna'], [], upstream)).toThrow(ContextError)
    expect(() => routeOutputs(['plna'], [], upstream)).toThrow(
      "context.from 'plna': there is no task 'plna' upstream",
    )
    expect(() => routeOutputs(['plan.stops[5]'], [], upstream)).toThrow(
      'cannot select plan.stops[5]: plan.stops has 2 item(s) ([0] to [1]), there is no [5]',
    )
    expect(() => routeOutputs(['plan.stops['], [], upstream)).toThrow(/context.from 'plan.stops\['/)
    expect(() => routeOutputs(['[0]'], [], upstream)).toThrow(/does not start with a task id/)
    // `toString` and friends are not tasks.
    expect(() => routeOutputs(['toString'], [], upstream)).toThrow(/no task 'toString'/)
  })
})
