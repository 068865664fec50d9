/**
 * What the web page needs from the server: the page's files at `/` (with the API first),
 * artifacts listed and downloaded, the workflows folder's catalog, reruns and a run's spec.
 */
import { mkdir, writeFile } from 'node:fs/promises'
import { request } from 'node:http'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  call,
  expectError,
  type Harness,
  isFinished,
  openSse,
  startHarness,
  waitForRun,
  workflows,
} from './helpers.js'

let h: Harness
let runId: string

beforeAll(async () => {
  h = await startHarness({
    setup: async (dir) => {
      const ui = join(dir, 'ui')
      await mkdir(join(ui, 'assets'), { recursive: true })
      await writeFile(join(ui, 'index.html'), '<!doctype html><title>weft</title><div id="root"></div>')
      await writeFile(join(ui, 'assets/app-1234.js'), 'console.log("weft")')
      await writeFile(join(dir, 'secret.txt'), 'not for the page')
      const wf = join(dir, 'workflows')
      await mkdir(wf)
      await writeFile(
        join(wf, 'hello.yaml'),
        'weft: 1\nname: hello\ndescription: Say hello.\ninputs:\n  city: { type: string, default: Lisbon }\n  days: { type: integer }\ndefaults: { backend: mock }\ntasks:\n  hi: { prompt: "Hi ${{ inputs.city }}" }\n',
      )
      await writeFile(join(wf, 'broken.yaml'), 'weft: 1\nname: broken\ntasks:\n  a: { prompt: [nope\n')
      await writeFile(join(wf, 'notes.txt'), 'not a workflow')
      return { ui: { dir: ui }, workflowsDir: wf }
    },
  })
  const started = await call(h.url, '/api/v1/runs', {
    json: { workflow: { ...workflows.quick('arts'), budget: { maxCostUsd: 3 } }, tags: ['page'] },
  })
  runId = started.body.runId
  await waitForRun(h, runId, isFinished)
  const artifacts = h.runtime.store.artifacts!
  await artifacts.put({
    runId,
    taskId: 'a',
    name: 'out/report.md',
    contentType: 'text/markdown; charset=utf-8',
    data: new TextEncoder().encode('# Report\n'),
  })
  await artifacts.put({ runId, taskId: 'b', name: 'data.bin', data: new Uint8Array([0, 1, 2, 255]) })
})
afterAll(() => h.close())

describe('the web page', () => {
  it('serves index.html at / and for page paths, assets with their type, and security headers', async () => {
    for (const path of ['/', '/runs/run_abc', '/start?workflow=hello']) {
      const page = await call(h.url, path)
      expect(page.status, path).toBe(200)
      expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8')
      expect(page.text).toContain('<div id="root">')
      expect(page.headers.get('content-security-policy')).toContain("script-src 'self'")
      expect(page.headers.get('x-frame-options')).toBe('DENY')
    }
    const asset = await call(h.url, '/assets/app-1234.js')
    expect(asset.headers.get('content-type')).toBe('text/javascript; charset=utf-8')
    expect(asset.headers.get('cache-control')).toContain('immutable')
    const head = await fetch(`${h.url}/`, { method: 'HEAD' })
    expect(head.status).toBe(200)
  })

  it('keeps the API first: unknown API paths are JSON errors, missing assets 404, no file outside the folder', async () => {
    expectError(await call(h.url, '/api/v1/nope'), 404, 'not_found')
    expectError(await call(h.url, '/assets/gone-999.js'), 404, 'not_found')
    expectError(await call(h.url, '/favicon.ico'), 404, 'not_found')
    for (const path of ['/..%2Fsecret.txt', '/%2e%2e/secret.txt', '/assets/..%2F..%2Fsecret.txt']) {
      const r = await call(h.url, path)
      expect(r.text, path).not.toContain('not for the page')
    }
    expect((await call(h.url, '/healthz')).body.status).toBe('ok')
  })

  it('checks the Host header on the page too (DNS rebinding)', async () => {
    // fetch() sets Host itself; node:http sends the one given.
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(`${h.url}/`, { headers: { host: 'evil.example' } }, (res) => {
        res.resume()
        resolve(res.statusCode ?? 0)
      })
      req.on('error', reject)
      req.end()
    })
    expect(status).toBe(403)
  })
})

describe('artifacts', () => {
  it('lists the artifacts of a run', async () => {
    const r = await call(h.url, `/api/v1/runs/${runId}/artifacts`)
    expect(r.status).toBe(200)
    expect(r.body.items.map((a: { name: string }) => a.name).sort()).toEqual(['data.bin', 'out/report.md'])
    const report = r.body.items.find((a: { name: string }) => a.name === 'out/report.md')
    expect(report).toMatchObject({ runId, taskId: 'a', size: 9, contentType: 'text/markdown; charset=utf-8' })
  })

  it('downloads one, with its content type, a file name, and never as a page of this server', async () => {
    const r = await fetch(`${h.url}/api/v1/runs/${runId}/artifacts/${encodeURIComponent('out/report.md')}`)
    expect(r.status).toBe(200)
    expect(r.headers.get('content-type')).toBe('text/markdown; charset=utf-8')
    expect(r.headers.get('content-disposition')).toContain('filename="report.md"')
    expect(r.headers.get('content-security-policy')).toContain('sandbox')
    expect(await r.text()).toBe('# Report\n')
    const bin = await fetch(`${h.url}/api/v1/runs/${runId}/artifacts/data.bin`)
    expect(bin.headers.get('content-type')).toBe('application/octet-stream')
    expect([...new Uint8Array(await bin.arrayBuffer())]).toEqual([0, 1, 2, 255])
  })

  it('answers 404 for a missing artifact, a bad name or an unknown run', async () => {
    expectError(await call(h.url, `/api/v1/runs/${runId}/artifacts/nope.txt`), 404, 'not_found')
    expectError(
      await call(h.url, `/api/v1/runs/${runId}/artifacts/${encodeURIComponent('../x')}`),
      404,
      'not_found',
    )
    expectError(await call(h.url, '/api/v1/runs/run_unknown/artifacts'), 404, 'run_not_found')
  })
})

describe('workflows, reruns and the spec', () => {
  it('lists the workflows folder with each workflow’s declared inputs', async () => {
    const r = await call(h.url, '/api/v1/workflows')
    expect(r.status).toBe(200)
    expect(r.body.folder).toBe(true)
    const byName = Object.fromEntries(r.body.items.map((w: { name: string }) => [w.name, w]))
    expect(Object.keys(byName).sort()).toEqual(['broken', 'hello'])
    expect(byName.hello).toMatchObject({
      file: 'hello.yaml',
      title: 'hello',
      description: 'Say hello.',
      tasks: 1,
      inputs: {
        city: { type: 'string', default: 'Lisbon', required: false },
        days: { type: 'integer', required: true },
      },
    })
    expect(byName.broken.error).toEqual(expect.any(String))
  })

  it('says when the server has no workflows folder', async () => {
    const bare = await startHarness({ memory: true })
    try {
      expect((await call(bare.url, '/api/v1/workflows')).body).toEqual({ folder: false, items: [] })
    } finally {
      await bare.close()
    }
  })

  it('adds the spec to a run with ?include=spec', async () => {
    const plain = await call(h.url, `/api/v1/runs/${runId}`)
    expect(plain.body.spec).toBeUndefined()
    const withSpec = await call(h.url, `/api/v1/runs/${runId}?include=spec`)
    expect(withSpec.body.spec.workflow.budget).toEqual({ maxCostUsd: 3 })
    expect(withSpec.body.spec.workflow.tasks.a.prompt).toBe('first')
  })

  it('reruns from a task: a new run that reuses the outputs upstream of it', async () => {
    const r = await call(h.url, `/api/v1/runs/${runId}/rerun`, { json: { from: 'b' } })
    expect(r.status).toBe(202)
    expect(r.headers.get('location')).toBe(`/api/v1/runs/${r.body.runId}`)
    expect(r.body.runId).not.toBe(runId)
    const done = await waitForRun(h, r.body.runId, isFinished)
    expect(done.status).toBe('succeeded')
    const events = await call(h.url, `/api/v1/runs/${r.body.runId}/events?type=task.reused`)
    expect(events.body.items.map((e: { taskId: string }) => e.taskId)).toContain('a')
    expectError(
      await call(h.url, `/api/v1/runs/${runId}/rerun`, { json: { from: 'nope' } }),
      404,
      'task_not_found',
    )
  })
})

describe('live text', () => {
  it('sends text deltas over SSE with ?deltas=true (id = the last stored seq), not without', async () => {
    const wf = {
      weft: 1,
      name: 'talk',
      tasks: {
        talk: {
          backend: 'mock',
          prompt: 'x',
          with: {
            hang: true,
            events: [
              { delta: 'hel', delayMs: 300 },
              { delta: 'lo', delayMs: 300 },
            ],
          },
        },
      },
    }
    const { runId: id } = (await call(h.url, '/api/v1/runs', { json: { workflow: wf } })).body
    const [withDeltas, without] = await Promise.all([
      openSse(`${h.url}/api/v1/runs/${id}/events/stream?deltas=true`),
      openSse(`${h.url}/api/v1/runs/${id}/events/stream`),
    ])
    const lo = await withDeltas.until(
      (m) => m.event === 'agent.delta' && m.data.includes('"lo"'),
      'the delta',
    )
    const event = JSON.parse(lo.data)
    expect(event).toMatchObject({ type: 'agent.delta', taskId: 'talk', data: { text: 'lo' } })
    expect(lo.id).toBe(String(event.seq))
    await call(h.url, `/api/v1/runs/${id}/cancel`, { json: {} })
    await Promise.all([withDeltas.ended, without.ended])
    expect(without.messages.filter((m) => m.event === 'agent.delta')).toEqual([])
    expect(without.messages.some((m) => m.event === 'run.canceled')).toBe(true)
  })
})
