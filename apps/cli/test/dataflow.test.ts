import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createClient } from '@weft/client'
import { dataflowStoreOf } from '@weft/core'
import { createSqliteStore } from '@weft/storage-sqlite'
import { afterAll, describe, expect, it } from 'vitest'
import { createWorkspace, runCli, type Workspace } from './helpers/cli.js'
import { startTestServer } from './helpers/server.js'

const workspaces: Workspace[] = []
function workspace(): Workspace {
  const ws = createWorkspace()
  workspaces.push(ws)
  const examples = join(import.meta.dirname, '../../../examples/dataflow')
  for (const f of ['evens.yaml', 'slow-consumer.yaml', 'numbers.jsonl'])
    writeFileSync(join(ws.dir, f), readFileSync(join(examples, f)))
  return ws
}
afterAll(() => {
  for (const ws of workspaces) ws.cleanup()
})

// Each test starts the real `weft` several times; a loaded machine needs more than the default.
describe('weft dataflow', { timeout: 240_000 }, () => {
  it('validate: a valid graph with its order; a bad one with file:line, path and fix, exit 2', async () => {
    const ws = workspace()
    const ok = await runCli(['dataflow', 'validate', 'evens.yaml'], {
      cwd: ws.dir,
      env: ws.env,
      timeoutMs: 90_000,
    })
    expect(ok.code).toBe(0)
    expect(ok.stdout).toContain('✓ evens.yaml is valid (4 nodes, 3 edges)')
    expect(ok.stdout).toContain('order: src → keep → sq → sink')
    writeFileSync(
      join(ws.dir, 'bad.yaml'),
      [
        'weft: 1',
        'kind: dataflow',
        'name: bad',
        'nodes:',
        '  src: { component: input }',
        '  sq: { component: mapp }',
        'edges:',
        '  - { from: src.out, to: sq.in }',
        '',
      ].join('\n'),
    )
    const bad = await runCli(['dataflow', 'validate', 'bad.yaml'], {
      cwd: ws.dir,
      env: ws.env,
      timeoutMs: 90_000,
    })
    expect(bad.code).toBe(2)
    expect(bad.stdout).toMatch(
      /bad\.yaml:6:\d+ +error +node 'sq' uses an unknown component 'mapp' \[unknown_component\]/,
    )
    expect(bad.stdout).toContain("fix: did you mean 'map'?")
    const json = await runCli(['dataflow', 'validate', 'bad.yaml', '--json'], {
      cwd: ws.dir,
      env: ws.env,
      timeoutMs: 90_000,
    })
    expect(JSON.parse(json.stdout)).toMatchObject({
      ok: false,
      diagnostics: [{ code: 'unknown_component', line: 6, path: 'nodes.sq.component' }],
    })
  })

  it('run: feeds each JSON line to the input node, writes each output as a JSON line in order, ends with metrics, keeps the execution in the store', async () => {
    const ws = workspace()
    const run = await runCli(
      ['dataflow', 'run', 'evens.yaml', '--input', 'numbers.jsonl', '--output', 'out.jsonl'],
      { cwd: ws.dir, env: ws.env, timeoutMs: 90_000 },
    )
    expect(run.code).toBe(0)
    expect(readFileSync(join(ws.dir, 'out.jsonl'), 'utf8')).toBe('4\n16\n36\n64\n100\n')
    expect(run.stdout).toMatch(
      /^node +component +in +out +calls +avg ms +p95 ms +max ms +errors +backpressure +queued$/m,
    )
    expect(run.stdout).toMatch(/^keep +filter +10 +5 +10 /m)
    expect(run.stdout).toMatch(
      /✓ evens completed in .*: 10 in, 5 out, .* msgs\/s, 0 errors, 0 backpressure events/,
    )

    const store = createSqliteStore({ path: ws.store })
    await store.init()
    try {
      const dataflow = dataflowStoreOf(store)!
      const [record] = await dataflow.list()
      expect(record).toMatchObject({
        graph: 'evens',
        state: 'completed',
        source: 'evens.yaml',
        metrics: { messagesInjected: 10, messagesOutput: 5 },
      })
      const events = await dataflow.events(record!.id)
      expect(
        events.filter((e) => e.type === 'execution.state').map((e) => (e.data as { state: string }).state),
      ).toEqual(['initializing', 'running', 'completed'])
    } finally {
      await store.close()
    }
  })

  it('run: reads stdin with --input -, writes stdout; a slow consumer shows backpressure', async () => {
    const ws = workspace()
    const piped = await runCli(['dataflow', 'run', 'evens.yaml', '--input', '-', '--store', 'memory:'], {
      cwd: ws.dir,
      env: ws.env,
      timeoutMs: 90_000,
      input: '1\n2\n\n3\n4\n',
    })
    expect(piped.code).toBe(0)
    expect(piped.stdout).toBe('4\n16\n')
    expect(piped.stderr).toMatch(/✓ evens completed/)
    const slow = await runCli(
      ['dataflow', 'run', 'slow-consumer.yaml', '--input', 'numbers.jsonl', '--store', 'memory:', '--json'],
      { cwd: ws.dir, env: ws.env, timeoutMs: 90_000 },
    )
    expect(slow.code).toBe(0)
    expect(slow.stdout.trim().split('\n')).toHaveLength(100)
    const snapshot = JSON.parse(slow.stderr.slice(slow.stderr.indexOf('{')))
    expect(snapshot.state).toBe('completed')
    expect(snapshot.metrics.nodes.burst.backpressureEvents).toBeGreaterThan(0)
    expect(snapshot.metrics.messagesOutput).toBe(100)
  })

  it('run: a line that is not JSON is exit 2 with its line number', async () => {
    const ws = workspace()
    writeFileSync(join(ws.dir, 'bad.jsonl'), '1\n{oops\n')
    const run = await runCli(
      ['dataflow', 'run', 'evens.yaml', '--input', 'bad.jsonl', '--store', 'memory:'],
      { cwd: ws.dir, env: ws.env, timeoutMs: 90_000 },
    )
    expect(run.code).toBe(2)
    expect(run.stderr).toMatch(/bad\.jsonl:2: not a JSON value/)
  })

  it('run: a file of many chunks (CRLF, no final newline) in order; a bad line is found by its number', async () => {
    const ws = workspace()
    // About 1 MB: many reads of the file, whose chunk boundaries fall inside lines.
    const n = 150_000
    const lines = Array.from({ length: n }, (_, i) => JSON.stringify({ i }))
    writeFileSync(join(ws.dir, 'many.jsonl'), lines.join('\r\n'))
    writeFileSync(
      join(ws.dir, 'index.yaml'),
      [
        'weft: 1',
        'kind: dataflow',
        'name: index',
        'nodes:',
        '  src: { component: input }',
        '  get: { component: map, with: { expression: "value.i * 2" } }',
        '  sink: { component: output }',
        'edges:',
        '  - { from: src.out, to: get.in }',
        '  - { from: get.out, to: sink.in }',
        '',
      ].join('\n'),
    )
    const run = await runCli(
      [
        'dataflow',
        'run',
        'index.yaml',
        '--input',
        'many.jsonl',
        '--output',
        'out.jsonl',
        '--store',
        'memory:',
      ],
      { cwd: ws.dir, env: ws.env, timeoutMs: 120_000 },
    )
    expect(run.code).toBe(0)
    const out = readFileSync(join(ws.dir, 'out.jsonl'), 'utf8').trim().split('\n').map(Number)
    expect(out).toEqual(Array.from({ length: n }, (_, i) => i * 2))

    lines[120_000] = '{ "i": oops }'
    writeFileSync(join(ws.dir, 'many.jsonl'), lines.join('\n'))
    const bad = await runCli(
      ['dataflow', 'run', 'index.yaml', '--input', 'many.jsonl', '--store', 'memory:'],
      {
        cwd: ws.dir,
        env: ws.env,
        timeoutMs: 120_000,
      },
    )
    expect(bad.code).toBe(2)
    expect(bad.stderr).toMatch(/many\.jsonl:120001: not a JSON value/)
  })

  it('list, status, pause, resume, inject and stop an execution running in a server (--server); list/status from the local store', async () => {
    const ws = workspace()
    const server = await startTestServer()
    try {
      const client = createClient({ baseUrl: server.url })
      const graph = readFileSync(join(ws.dir, 'evens.yaml'), 'utf8')
      const execution = await client.dataflow.executions.create({ graph })
      const at = ['--server', server.url]
      const cli = (args: string[]) =>
        runCli(['dataflow', ...args, ...at], { cwd: ws.dir, env: ws.env, timeoutMs: 90_000 })

      expect((await cli(['pause', execution.id])).stdout).toBe(`${execution.id} is paused\n`)
      const injected = await cli(['inject', execution.id, '2', '3', '4'])
      expect(injected.code).toBe(0)
      expect(injected.stdout).toBe(`3 messages injected into ${execution.id}\n`)
      const paused = JSON.parse((await cli(['status', execution.id, '--json'])).stdout)
      expect(paused).toMatchObject({ state: 'paused', metrics: { queueDepth: 3, messagesOutput: 0 } })
      expect((await cli(['resume', execution.id])).stdout).toBe(`${execution.id} is running\n`)
      const status = await cli(['status', execution.id])
      expect(status.stdout).toMatch(new RegExp(`^${execution.id} +evens +running`))
      expect(status.stdout).toMatch(/3 in, 2 out, 0 errors/)
      const list = await cli(['list'])
      expect(list.stdout).toMatch(new RegExp(`${execution.id} +evens +running .* 3 +2 +0 +yes`))
      expect((await cli(['stop', execution.id])).stdout).toBe(`${execution.id} is cancelled\n`)

      const refused = await runCli(['dataflow', 'pause', execution.id], {
        cwd: ws.dir,
        env: ws.env,
        timeoutMs: 90_000,
      })
      expect(refused.code).toBe(2)
      expect(refused.stderr).toMatch(/acts on an execution running in a weft server: give --server URL/)

      // The server's store keeps it: list and status read it locally too.
      const local = await runCli(['dataflow', 'status', execution.id, '--store', server.store, '--json'], {
        cwd: ws.dir,
        env: {},
        timeoutMs: 90_000,
      })
      expect(JSON.parse(local.stdout)).toMatchObject({ id: execution.id, state: 'cancelled', live: false })
    } finally {
      await server.close()
    }
  })
})
