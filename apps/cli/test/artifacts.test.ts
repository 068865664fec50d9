/** `weft runs artifacts`: a run's files, listed and downloaded, from the local store or a server. */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createWorkspace, runCli, type Workspace } from './helpers/cli.js'
import { startTestServer, type TestServer } from './helpers/server.js'

let server: TestServer
let ws: Workspace
let runId: string

beforeAll(async () => {
  server = await startTestServer()
  ws = createWorkspace()
  const run = await server.runtime.start({
    workflow: { weft: 1, name: 'files', tasks: { write: { backend: 'mock', prompt: 'write' } } },
  })
  runId = run.id
  await server.runtime.wait(runId)
  await server.runtime.store.artifacts!.put({
    runId,
    taskId: 'write',
    name: 'out/report.md',
    contentType: 'text/markdown',
    data: new TextEncoder().encode('# Report\n'),
  })
  await server.runtime.store.artifacts!.put({ runId, name: 'raw.bin', data: new Uint8Array([0, 200, 7]) })
})
afterAll(async () => {
  await server.close()
  ws.cleanup()
})

const weft = (args: string[]) => runCli(args, { cwd: ws.dir, env: ws.env, timeoutMs: 60_000 })

describe('weft runs artifacts', { timeout: 120_000 }, () => {
  it('lists a run’s artifacts from a server and from the local store, the same', async () => {
    const remote = await weft(['runs', 'artifacts', runId, '--server', server.url, '--json'])
    expect(remote.code, remote.stderr).toBe(0)
    const items = JSON.parse(remote.stdout) as { name: string; taskId?: string; size: number }[]
    expect(items.map((a) => [a.name, a.taskId, a.size]).sort()).toEqual([
      ['out/report.md', 'write', 9],
      ['raw.bin', undefined, 3],
    ])
    const local = await weft(['runs', 'artifacts', runId, '--store', server.store])
    expect(local.code, local.stderr).toBe(0)
    expect(local.stdout).toMatch(/out\/report\.md\s+write\s+9/)
    expect(local.stdout).toMatch(/raw\.bin\s+-\s+3/)
  })

  it('downloads one with --get, to its file name or --out', async () => {
    const got = await weft(['runs', 'artifacts', runId, '--get', 'out/report.md', '--server', server.url])
    expect(got.code, got.stderr).toBe(0)
    expect(readFileSync(join(ws.dir, 'report.md'), 'utf8')).toBe('# Report\n')
    const bin = await weft([
      'runs',
      'artifacts',
      runId,
      '--get',
      'raw.bin',
      '--out',
      'copy.bin',
      '--store',
      server.store,
    ])
    expect(bin.code, bin.stderr).toBe(0)
    expect([...readFileSync(join(ws.dir, 'copy.bin'))]).toEqual([0, 200, 7])
  })

  it('exits 2 for an artifact the run does not have, or an unknown run', async () => {
    const missing = await weft(['runs', 'artifacts', runId, '--get', 'nope.txt', '--server', server.url])
    expect(missing.code).toBe(2)
    expect(missing.stderr).toContain("has no artifact 'nope.txt'")
    const unknown = await weft(['runs', 'artifacts', 'run_nope', '--server', server.url])
    expect(unknown.code).toBe(2)
  })
})
