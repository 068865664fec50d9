import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createRuntime, type RunSummary, type TaskState } from '@weft/core'
import { echoWorkflow, stubBackend } from '@weft/testing'
import { expect, it } from 'vitest'
import { createFsStore } from '../src/index.js'
import { jsonl, tempDirs } from './helpers.js'

const { root, newDir } = tempDirs('weft-fs-runtime-')

/**
 * A backend that answers with its prompt and writes a small note file it reports as an artifact.
 * Plugins may not import each other, so no backend-mock; core provides no backend of its own.
 */
const echo = stubBackend({
  id: 'echo',
  async execute(req, ctx) {
    const note = join(root, `${ctx.runId}-${req.taskId}.md`)
    writeFileSync(note, `# ${req.taskId}\n\n${req.prompt ?? ''}\n`)
    return {
      output: `${req.taskId}: ${req.prompt ?? ''}`,
      artifacts: [{ name: `notes/${req.taskId}.md`, path: note, contentType: 'text/markdown' }],
    }
  },
})

it('runs a workflow on the fs store and leaves a run directory a person can read', async () => {
  const dir = newDir()
  const first = createRuntime({ store: createFsStore({ dir }), backends: [echo] })
  const started = await first.start({ workflow: echoWorkflow('fs-e2e'), tags: ['e2e'] })
  const done = await first.wait(started.id)
  expect(done.status).toBe('succeeded')
  await first.close()

  // The directory, read as a person would.
  const runDir = join(dir, 'runs', started.id)
  const meta = JSON.parse(readFileSync(join(runDir, 'meta.json'), 'utf8')) as RunSummary
  expect(meta).toMatchObject({ id: started.id, name: 'fs-e2e', status: 'succeeded', tags: ['e2e'] })
  expect(JSON.parse(readFileSync(join(runDir, 'spec.json'), 'utf8')).workflow.name).toBe('fs-e2e')
  const tasks = JSON.parse(readFileSync(join(runDir, 'tasks.json'), 'utf8')) as TaskState[]
  expect(tasks.map((t) => [t.taskId, t.status])).toEqual([
    ['a', 'succeeded'],
    ['b', 'succeeded'],
    ['c', 'succeeded'],
  ])
  const events = jsonl(join(runDir, 'events.jsonl'))
  expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1))
  expect(events.at(-1)!.seq).toBe(meta.lastSeq)
  expect(events[0]!.type).toBe('run.created')
  expect(events.at(-1)!.type).toBe('run.succeeded')
  expect(readFileSync(join(runDir, 'artifacts', 'notes', 'b.md'), 'utf8')).toBe('# b\n\nafter a: one\n')
  expect(existsSync(join(runDir, 'pending-commit.json'))).toBe(false)
  // The runtime released its lease when the run finished, and no lock is left.
  expect(readdirSync(join(dir, 'leases'))).toEqual([])
  expect(readdirSync(join(dir, 'locks'))).toEqual([])

  // A second runtime on the same directory sees all of it.
  const second = createRuntime({ store: createFsStore({ dir }), backends: [echo] })
  try {
    const summary = await second.get(started.id)
    expect(summary).toEqual(meta)
    expect((await second.list({ tag: 'e2e' })).items.map((r) => r.id)).toEqual([started.id])
    const stored = await second.tasks(started.id)
    expect(stored[1]!.output).toBe('b: after a: one')
    const read = []
    for await (const e of second.events(started.id)) read.push(e)
    expect(read).toEqual(events)
  } finally {
    await second.close()
  }
})
