import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createRuntime } from '@weft/core'
import { echoWorkflow, stubBackend } from '@weft/testing'
import { afterAll, expect, it } from 'vitest'
import { createSqliteStore } from '../src/index.js'

const root = mkdtempSync(join(tmpdir(), 'weft-sqlite-runtime-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))

/** A backend that answers with its prompt: plugins may not import each other, so no backend-mock. */
const echo = stubBackend({
  id: 'echo',
  async execute(req) {
    return { output: `${req.taskId}: ${req.prompt ?? ''}` }
  },
})

it('runs a workflow on SQLite, and a second runtime on the same file sees all of it', async () => {
  const path = join(root, 'weft.db')
  const first = createRuntime({ store: createSqliteStore({ path }), backends: [echo] })
  const started = await first.start({ workflow: echoWorkflow('sqlite-e2e'), tags: ['e2e'] })
  const done = await first.wait(started.id)
  expect(done.status).toBe('succeeded')
  await first.close()

  const second = createRuntime({ store: createSqliteStore({ path }), backends: [echo] })
  try {
    const summary = await second.get(started.id)
    expect(summary).toMatchObject({ id: started.id, status: 'succeeded', name: 'sqlite-e2e', tags: ['e2e'] })
    expect((await second.list({ tag: 'e2e' })).items.map((r) => r.id)).toEqual([started.id])
    const tasks = await second.tasks(started.id)
    expect(tasks.map((t) => [t.taskId, t.status])).toEqual([
      ['a', 'succeeded'],
      ['b', 'succeeded'],
      ['c', 'succeeded'],
    ])
    expect(tasks[1]!.output).toBe('b: after a: one')
    const events = []
    for await (const e of second.events(started.id)) events.push(e)
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1))
    expect(events.at(-1)!.seq).toBe(summary!.lastSeq)
    expect(events[0]!.type).toBe('run.created')
    expect(events.at(-1)!.type).toBe('run.succeeded')
  } finally {
    await second.close()
  }
})
