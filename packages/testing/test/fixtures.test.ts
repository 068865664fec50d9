import { newRunId, RunSpecSchema, RunSummarySchema, TaskStateSchema, WeftEventSchema } from '@weft/core'
import { expect, it } from 'vitest'
import { buildCreateCommit, isoAt, logEvent } from '../src/fixtures.js'

// The store suite is only as good as its fixtures: they must be what the runtime could write.
it('builds commits that pass core schemas', () => {
  const runId = newRunId()
  const commit = buildCreateCommit(runId, {
    name: 'n',
    tags: ['t'],
    taskIds: ['x', 'y', 'z'],
    inputs: { k: [1, { a: null }] },
  })
  expect(RunSpecSchema.parse(commit.create!.spec)).toEqual(commit.create!.spec)
  expect(RunSummarySchema.parse(commit.run)).toEqual(commit.run)
  for (const t of commit.tasks!) expect(TaskStateSchema.parse(t)).toEqual(t)
  expect(commit.tasks!.map((t) => [t.taskId, t.order, t.needs])).toEqual([
    ['x', 0, []],
    ['y', 1, ['x']],
    ['z', 2, ['y']],
  ])
  for (const [i, e] of commit.events.entries()) {
    WeftEventSchema.parse({ ...e, runId, seq: i + 1, severity: e.severity ?? 'info' })
  }
  expect(commit.events.map((e) => e.type)).toEqual(['run.created', 'task.added', 'task.added', 'task.added'])
})

it('has a fixed clock and log events with optional fields left out', () => {
  expect(isoAt(0)).toBe('2025-01-01T00:00:00.000Z')
  expect(isoAt(61)).toBe('2025-01-01T00:01:01.000Z')
  expect(logEvent('m')).toEqual({ type: 'log', ts: isoAt(0), data: { message: 'm' } })
  expect(logEvent('m', { taskId: 'a', attempt: 2, severity: 'warn', ts: isoAt(5) })).toEqual({
    type: 'log',
    ts: isoAt(5),
    taskId: 'a',
    attempt: 2,
    severity: 'warn',
    data: { message: 'm' },
  })
})
