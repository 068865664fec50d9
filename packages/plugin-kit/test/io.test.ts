import { spawnSync } from 'node:child_process'
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  type EventSourceMessage,
  errorForStatus,
  findExecutable,
  networkError,
  postSse,
  reachable,
  readSse,
  replaySse,
  subprocessError,
  workingDirectory,
} from '../src/index.js'

let server: Server
let url: string
beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === '/sse') {
      res.writeHead(200, { 'content-type': 'text/event-stream' })
      // Split mid-event and mid-character: the reader must join chunks and decode UTF-8 across them.
      const body = Buffer.from('event: a\ndata: {"text":"héllo"}\n\nevent: b\ndata: done\n\n')
      res.write(body.subarray(0, 27))
      setTimeout(() => res.end(body.subarray(27)), 10)
      return
    }
    if (req.url === '/busy') {
      res.writeHead(429, { 'retry-after': '1' }).end('{"error":"slow down"}')
      return
    }
    res.writeHead(204).end()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))

describe('SSE', () => {
  it('reads events from a real response body as they arrive, and replays a transcript the same way', async () => {
    const live: EventSourceMessage[] = []
    const response = await fetch(`${url}/sse`)
    await readSse(response.body!, (e) => live.push(e))
    expect(live.map((e) => [e.event, e.data])).toEqual([
      ['a', '{"text":"héllo"}'],
      ['b', 'done'],
    ])
    const replayed: EventSourceMessage[] = []
    replaySse('event: a\ndata: {"text":"héllo"}\n\nevent: b\ndata: done\n\n', (e) => replayed.push(e))
    expect(replayed).toEqual(live)
  })

  it('stops the download when a handler throws', async () => {
    const response = await fetch(`${url}/sse`)
    await expect(
      readSse(response.body!, () => {
        throw new Error('stream error event')
      }),
    ).rejects.toThrow('stream error event')
  })
})

describe('streaming requests', () => {
  const base = { api: 'Test API', headers: {}, body: { prompt: 'hi' }, fetch }

  it('feed the events of a POST to the handler, and map an error status', async () => {
    const seen: string[] = []
    const signal = new AbortController().signal
    await postSse({
      ...base,
      url: `${url}/sse`,
      signal,
      onEvent: (e) => seen.push(e.data),
      errorFromResponse: async () => {
        throw new Error('not called')
      },
    })
    expect(seen).toEqual(['{"text":"héllo"}', 'done'])
    const busy = await postSse({
      ...base,
      url: `${url}/busy`,
      signal,
      onEvent: () => {},
      errorFromResponse: async (r) =>
        errorForStatus(r.status, await r.text(), { details: {}, keySource: 'K' }),
    }).catch((e: unknown) => e)
    expect(busy).toMatchObject({ code: 'rate_limit', retryable: true, message: '{"error":"slow down"}' })
  })

  it('reject with the abort error once the signal aborted', async () => {
    const controller = new AbortController()
    controller.abort({ kind: 'timeout', message: 'too slow' })
    const err = await postSse({
      ...base,
      url: `${url}/sse`,
      signal: controller.signal,
      onEvent: () => {},
      errorFromResponse: async () => errorForStatus(500, 'x', { details: {}, keySource: 'K' }),
    }).catch((e: unknown) => e)
    expect(err).toMatchObject({ code: 'timeout', message: 'too slow' })
  })
})

describe('HTTP errors', () => {
  it('retry what waiting can fix and nothing else', () => {
    const of = (status: number) =>
      errorForStatus(status, `status ${status}`, { details: { status }, keySource: 'K' })
    expect([401, 403, 404, 408, 429, 500, 529].map((s) => [of(s).code, of(s).retryable])).toEqual([
      ['auth', false],
      ['auth', false],
      ['failed', false],
      ['timeout', true],
      ['rate_limit', true],
      ['server_error', true],
      ['server_error', true],
    ])
    expect(of(401).hint).toBe('check the key in K')
  })

  it('name a refused connection, and say whether anything answers', async () => {
    const closed = createServer()
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
    const port = (closed.address() as AddressInfo).port
    await new Promise<void>((resolve) => closed.close(() => resolve()))
    const err = await fetch(`http://127.0.0.1:${port}/`).catch((e: unknown) => e)
    const mapped = networkError('Some API', `http://127.0.0.1:${port}`, err)
    expect([mapped.code, mapped.retryable]).toEqual(['server_error', true])
    expect(mapped.message).toContain('ECONNREFUSED')
    expect(await reachable(fetch, url, 2000)).toBe(true)
    expect(await reachable(fetch, `http://127.0.0.1:${port}`, 2000)).toBe('ECONNREFUSED')
  })
})

describe('subprocesses', () => {
  const root = mkdtempSync(join(tmpdir(), 'weft-plugin-kit-'))
  afterAll(() => rmSync(root, { recursive: true, force: true }))

  it('find the CLI in node_modules/.bin above a folder, else on PATH, and list where they looked', () => {
    const bin = join(root, 'node_modules', '.bin')
    mkdirSync(bin, { recursive: true })
    writeFileSync(join(bin, 'fake-cli'), '#!/bin/sh\n')
    chmodSync(join(bin, 'fake-cli'), 0o755)
    const deep = join(root, 'a', 'b')
    mkdirSync(deep, { recursive: true })
    expect(findExecutable('fake-cli', { from: [deep], env: {} }).path).toBe(join(bin, 'fake-cli'))
    expect(findExecutable('fake-cli', { env: { PATH: bin } }).path).toBe(join(bin, 'fake-cli'))
    const missing = findExecutable('no-such-cli', { from: [deep], env: { PATH: '' } })
    expect(missing.path).toBeUndefined()
    expect(missing.tried).toContain(join(deep, 'node_modules', '.bin', 'no-such-cli'))
    expect(findExecutable('x', { explicit: './node_modules/.bin/fake-cli', cwd: root }).path).toBe(
      join(bin, 'fake-cli'),
    )
  })

  it('map a missing program, an exit code and a signal to errors a person can act on', () => {
    const enoent = spawnSync('weft-no-such-program')
    const missing = subprocessError(
      { cause: enoent.error },
      { label: 'nothing', program: 'weft-no-such-program', notInstalled: { hint: 'install it' } },
    )
    expect([missing.code, missing.hint]).toEqual(['not_installed', 'install it'])
    const exited = spawnSync('sh', ['-c', 'echo broken >&2; exit 3'], { encoding: 'utf8' })
    const code = subprocessError(
      { exitCode: exited.status ?? undefined },
      { label: "'sh'", program: 'sh', stderr: exited.stderr.trim() },
    )
    expect([code.code, code.exitCode, code.message]).toEqual([
      'exit_code',
      3,
      "'sh' exited with code 3: broken",
    ])
    const killed = subprocessError({ signal: 'SIGKILL' }, { label: 'claude', program: 'claude' })
    expect(killed.message).toBe('claude was killed by SIGKILL')
  })

  it('check the working directory before anything is spawned', () => {
    expect(workingDirectory(root, undefined)).toBe(root)
    expect(workingDirectory(root, 'a')).toBe(join(root, 'a'))
    expect(() => workingDirectory(root, 'nope')).toThrow(/with.cwd: the directory .*nope does not exist/)
  })
})
