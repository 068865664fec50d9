/**
 * One request must not stall the server (issue 18, item 5): limits on workflow size and tasks per
 * run, answered before the expensive work, and large workflow texts parsed off the event loop.
 * No timing thresholds: ordering only (latency figures are in `pnpm bench --only server`).
 */
import { writeFile } from 'node:fs/promises'
import { request } from 'node:http'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { call, expectError, type Harness, startHarness, workflows } from './helpers.js'
import { maximalWorkflow } from './maximal.js'

const manyTasks = (n: number) => ({
  weft: 1,
  name: 'many',
  defaults: { backend: 'mock' },
  tasks: Object.fromEntries(Array.from({ length: n }, (_, i) => [`t${i}`, { prompt: 'x' }])),
})

describe('limits', () => {
  let h: Harness
  beforeAll(async () => {
    h = await startHarness({
      memory: true,
      server: { maxTasksPerRun: 50, maxWorkflowBytes: 64 * 1024, maxBodyBytes: 4 * 1024 * 1024 },
      async setup(dir) {
        await writeFile(join(dir, 'big.json'), JSON.stringify(manyTasks(51)))
        await writeFile(
          join(dir, 'huge.yaml'),
          `# ${'x'.repeat(70 * 1024)}\n${JSON.stringify(workflows.quick())}`,
        )
        return { workflowsDir: dir }
      },
    })
  })
  afterAll(async () => {
    await h?.close()
  })

  it('too many tasks: 413 too_many_tasks, inline object, text and named, with the numbers', async () => {
    for (const body of [
      { workflow: manyTasks(51) },
      { workflow: JSON.stringify(manyTasks(51)) },
      { workflowName: 'big' },
    ]) {
      const r = await call(h.url, '/api/v1/runs', { json: body })
      expectError(r, 413, 'too_many_tasks')
      expect(r.body.error.details).toEqual({ tasks: 51, maxTasksPerRun: 50 })
    }
    // 20 000 tasks as an object are refused by counting, before anything else looks at them.
    const huge = await call(h.url, '/api/v1/runs', { json: { workflow: manyTasks(20_000) } })
    expectError(huge, 413, 'too_many_tasks')
    expect(await h.runtime.list()).toMatchObject({ items: [] })
  })

  it('a workflow over maxWorkflowBytes: 413 workflow_too_large, before parsing', async () => {
    const padded = { ...workflows.quick(), description: 'x'.repeat(65 * 1024) }
    for (const body of [
      { workflow: padded },
      { workflow: JSON.stringify(padded) },
      { workflowName: 'huge' },
    ]) {
      const r = await call(h.url, '/api/v1/runs', { json: body })
      expectError(r, 413, 'workflow_too_large')
      expect(r.body.error.details.maxWorkflowBytes).toBe(64 * 1024)
    }
  })

  it('adding tasks past maxTasksPerRun: 413 too_many_tasks', async () => {
    const started = await call(h.url, '/api/v1/runs', { json: { workflow: workflows.hang() } })
    expect(started.status).toBe(202)
    const r = await call(h.url, `/api/v1/runs/${started.body.runId}/tasks`, {
      json: { tasks: manyTasks(50).tasks },
    })
    expectError(r, 413, 'too_many_tasks')
    expect(r.body.error.details).toEqual({ tasks: 51, maxTasksPerRun: 50 })
    await call(h.url, `/api/v1/runs/${started.body.runId}/cancel`, { method: 'POST' })
  })
})

/** GET /healthz on its own connection; resolves when the answer has fully arrived. */
function healthz(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}/healthz`, { agent: false }, (res) => {
      res.resume()
      res.on('end', () => resolve(res.statusCode ?? 0))
    })
    req.on('error', reject)
    req.end()
  })
}

describe('a maximal workflow does not stall the server', () => {
  let h: Harness
  beforeAll(async () => {
    h = await startHarness({ memory: true })
  })
  afterAll(async () => {
    await h?.close()
  })

  it('many /healthz requests sent one after another all complete while it is being posted', async () => {
    // The largest the defaults take: 2000 chained tasks in ~1 MiB of JSON text (the body limit
    // is 1 MiB). Parsing it takes seconds; on the event loop, every /healthz waited for it.
    const text = maximalWorkflow(2000, 1024 * 1024 - 16 * 1024)
    let postDone = false
    const posted = call(h.url, '/api/v1/runs', { json: { workflow: text } }).then((r) => {
      postDone = true
      return r
    })
    const order: string[] = []
    for (let i = 0; i < 40; i++) {
      expect(await healthz(h.url)).toBe(200)
      order.push(postDone ? 'after' : 'before')
    }
    const r = await posted
    expect(r.status).toBe(202)
    // Parsed on the event loop, the seconds of parsing held every /healthz sent meanwhile until the
    // POST was nearly done (one or two answered before it). On the worker thread they keep being
    // answered one after another while it parses; how many exactly depends on the machine's load.
    expect(order.filter((o) => o === 'before').length).toBeGreaterThanOrEqual(10)
    await call(h.url, `/api/v1/runs/${r.body.runId}/cancel`, { method: 'POST' })
  })

  it('a worker-parsed workflow keeps its line numbers in diagnostics', async () => {
    // 100 tasks, one per line, ~60 KB: parsed on the worker thread; task t57 has a misspelt key.
    const lines = ['weft: 1', 'name: lines', 'defaults: { backend: mock }', 'tasks:']
    for (let i = 0; i < 100; i++) {
      lines.push(`  t${i}: { prompt: "${'p'.repeat(600)}"${i === 57 ? ', bogus: 1' : ''} }`)
    }
    const yaml = `${lines.join('\n')}\n`
    const r = await call(h.url, '/api/v1/runs', { json: { workflow: yaml } })
    expectError(r, 400, 'workflow_invalid')
    const d = r.body.error.details.diagnostics.find((x: { message: string }) => x.message.includes('bogus'))
    expect(d?.line).toBe(4 + 57 + 1)
  })
})
