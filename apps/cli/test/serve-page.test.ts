/**
 * `weft serve` serves the web page at `/` (it answered 404 there before @weft/ui): the page's
 * files, `index.html` for page paths, and the API first. WEFT_UI_DIR points it at a page made
 * here, so the test does not depend on the real page having been built.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { createWorkspace, startCli, type Workspace } from './helpers/cli.js'

const workspaces: Workspace[] = []
afterAll(() => {
  for (const ws of workspaces) ws.cleanup()
})

describe('weft serve: the web page', { timeout: 120_000 }, () => {
  it('serves the page at / and page paths, its assets, and keeps /api/v1 for the API', async () => {
    const ws = createWorkspace()
    workspaces.push(ws)
    const page = join(ws.dir, 'page')
    mkdirSync(join(page, 'assets'), { recursive: true })
    writeFileSync(join(page, 'index.html'), '<!doctype html><title>weft</title><div id="root"></div>')
    writeFileSync(join(page, 'assets/app-1.js'), 'console.log(1)')
    const server = startCli(['serve', '--port', '0'], {
      cwd: ws.dir,
      env: { ...ws.env, WEFT_UI_DIR: page },
      timeoutMs: 120_000,
    })
    try {
      const [, url] = await server.waitFor(/"page":"(http:\/\/127\.0\.0\.1:\d+)\/"/, 60_000)
      for (const path of ['/', '/runs/run_x', '/start']) {
        const r = await fetch(`${url}${path}`)
        expect(r.status, path).toBe(200)
        expect(r.headers.get('content-type')).toBe('text/html; charset=utf-8')
        expect(await r.text()).toContain('<div id="root">')
      }
      const asset = await fetch(`${url}/assets/app-1.js`)
      expect(asset.headers.get('content-type')).toBe('text/javascript; charset=utf-8')
      const runs = await fetch(`${url}/api/v1/runs`)
      expect(runs.status).toBe(200)
      expect(await runs.json()).toEqual({ items: [] })
      const missing = await fetch(`${url}/api/v1/nope`)
      expect(missing.status).toBe(404)
      expect(missing.headers.get('content-type')).toMatch(/^application\/json/)
    } finally {
      server.interrupt('SIGTERM')
      await server.result
    }
  })
})
