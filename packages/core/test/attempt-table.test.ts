import { describe, expect, it } from 'vitest'
import type { Attempt } from '../src/run/attempt.js'
import { AttemptTable } from '../src/run/attempt-table.js'

const attempt = (taskId: string, order: number, number = 1) => ({ taskId, order, number }) as Attempt

describe('the table of attempts in flight', () => {
  it('keeps the order attempts were added in, as a Map does, through deletes and replacements', () => {
    const table = new AttemptTable()
    const all = Array.from({ length: 60 }, (_, i) => attempt(`t${i}`, (i * 7) % 60))
    for (const a of all) table.set(a)
    // Delete most of them, so that the list is closed up on the way.
    for (let i = 0; i < 60; i++) if (i % 5 !== 0) table.delete(all[i]!)
    const retry = attempt('t10', all[10]!.order, 2)
    table.set(retry)
    table.set(attempt('late', 61))
    expect(table.values().map((a) => `${a.taskId}#${a.number}`)).toEqual([
      't0#1',
      't5#1',
      't10#2',
      ...[15, 20, 25, 30, 35, 40, 45, 50, 55].map((i) => `t${i}#1`),
      'late#1',
    ])
    expect(table.size).toBe(13)
  })

  it('finds an attempt by its task, never another task that has the same order', () => {
    const table = new AttemptTable()
    const a = attempt('a', 3)
    table.set(a)
    expect(table.has({ taskId: 'a', order: 3 })).toBe(true)
    expect(table.get({ taskId: 'b', order: 3 })).toBeUndefined()
    // A stale attempt of the task does not remove the one in flight.
    table.delete(attempt('a', 3))
    expect(table.get({ taskId: 'a', order: 3 })).toBe(a)
    table.delete(a)
    expect(table.size).toBe(0)
    expect(table.values()).toEqual([])
  })
})
