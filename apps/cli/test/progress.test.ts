/**
 * The live view of `weft run` on a terminal: the text a running task streams (`agent.delta`)
 * shows under its line, its last line only, and goes when the task ends. Driven with a fake
 * terminal stream (a real TTY is not available to tests).
 */
import type { RunSummary, TaskState, WeftEvent } from '@weft/core'
import { describe, expect, it } from 'vitest'
import { colorsFor } from '../src/colors.js'
import { createProgress } from '../src/progress.js'

function terminal() {
  const frames: string[] = []
  return {
    frames,
    out: {
      isTTY: true,
      columns: 100,
      rows: 30,
      write(chunk: string) {
        frames.push(chunk)
        return true
      },
      // log-update listens for resizes on a real terminal.
      on() {},
      off() {},
      removeListener() {},
    },
  }
}

const runId = 'run_test'
const ts = new Date().toISOString()
const event = (e: Partial<WeftEvent> & Pick<WeftEvent, 'type' | 'data'>): WeftEvent =>
  ({ runId, seq: 1, ts, severity: 'info', ...e }) as WeftEvent

describe('live progress', () => {
  it('streams a running task’s text under its line and drops it when the task ends', () => {
    const t = terminal()
    const progress = createProgress('live', { out: t.out, colors: colorsFor({ write: () => true }, {}) })
    expect(progress.showsText).toBe(true)
    const run = { id: runId, name: 'stream', status: 'running', createdAt: ts } as RunSummary
    const task = { taskId: 'write', status: 'queued', attempt: 0, order: 0 } as TaskState
    progress.begin(run, [task])
    progress.event(event({ type: 'task.started', taskId: 'write', attempt: 1, data: {} }))
    progress.event(event({ type: 'agent.delta', taskId: 'write', data: { text: 'First line\nSecond ' } }))
    progress.event(event({ type: 'agent.delta', taskId: 'write', data: { text: 'line, still going' } }))
    progress.note('render now')
    const shown = t.frames.at(-1)!
    expect(shown).toContain('Second line, still going')
    expect(shown).not.toContain('First line')

    progress.event(
      event({ type: 'task.succeeded', taskId: 'write', attempt: 1, data: { output: 'done', durationMs: 5 } }),
    )
    progress.note('render again')
    expect(t.frames.at(-1)).not.toContain('still going')
    progress.end()
  })

  it('a pipe gets one line per event and asks for no deltas', () => {
    const progress = createProgress('lines', {
      out: { write: () => true },
      colors: colorsFor({ write: () => true }, {}),
    })
    expect(progress.showsText).toBe(false)
  })
})
