/**
 * A real weft server for the client to talk to: `createServer` of `@weft/server` over a real
 * runtime (mock backend, SQLite in a temp dir) on 127.0.0.1 with a free port, and a TCP proxy
 * whose connections a test can cut to drop streams mid-way.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { connect, createServer as createTcpServer, type Socket, type Server as TcpServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createMockBackend } from '@weft/backend-mock'
import { createRuntime, type Runtime } from '@weft/core'
import { type ApiKey, createServer, type WeftServer } from '@weft/server'
import { createSqliteStore } from '@weft/storage-sqlite'
import { eventually, lateBound, mockWorkflows, perFile } from '@weft/testing'
import { type ClientOptions, createClient, type WeftClient } from '../src/index.js'

export interface Harness {
  runtime: Runtime
  server: WeftServer
  url: string
  port: number
  close(): Promise<void>
}

export async function startServer(
  options: { keys?: ApiKey[]; sseHeartbeatMs?: number } = {},
): Promise<Harness> {
  const dir = await mkdtemp(join(tmpdir(), 'weft-client-'))
  const runtime = createRuntime({
    store: createSqliteStore({ path: join(dir, 'weft.db') }),
    backends: [createMockBackend()],
    reporter: { warn() {} },
  })
  const quiet = () => {}
  const server = createServer(runtime, {
    logger: { info: quiet, warn: quiet, error: quiet },
    version: '1.2.3-test',
    // A server with keys runs only named workflows by default; these tests post inline ones.
    ...(options.keys ? { auth: { keys: options.keys }, policy: { inlineWorkflows: true } } : {}),
    ...(options.sseHeartbeatMs ? { sseHeartbeatMs: options.sseHeartbeatMs } : {}),
    // startProxy forwards from another port: its Host is 127.0.0.1:<proxy port>.
    allowedHosts: ['127.0.0.1'],
  })
  const { url, port } = await server.listen({ port: 0, host: '127.0.0.1' })
  return {
    runtime,
    server,
    url,
    port,
    async close() {
      await server.close({ graceMs: 1000 })
      await runtime.close()
      await rm(dir, { recursive: true, force: true })
    },
  }
}

/** The server of a test file: started before its tests, closed after them. */
export function useServer(options?: Parameters<typeof startServer>[0]): Harness {
  return perFile(() => startServer(options), 'the server')
}

/** A client of the file's server (`useServer`), made at its first use. */
export function useClient(h: Harness, options: Omit<ClientOptions, 'baseUrl'> = {}): WeftClient {
  let client: WeftClient | undefined
  return lateBound(() => (client ??= createClient({ baseUrl: h.url, ...options })), 'the client')
}

export interface TcpProxy {
  url: string
  port: number
  /** Connections made through the proxy so far. */
  readonly connections: number
  /** Destroys every open connection (both sides), as a network failure would. */
  cut(): void
  /** Stops listening and cuts everything: new connections are refused until `reopen()`. */
  down(): Promise<void>
  /** Listens again on the same port. */
  reopen(): Promise<void>
  close(): Promise<void>
}

/** A TCP proxy on 127.0.0.1 in front of `targetPort`. */
export async function startProxy(targetPort: number): Promise<TcpProxy> {
  const sockets = new Set<Socket>()
  let connections = 0
  let port = 0
  let server: TcpServer
  const listen = () =>
    new Promise<void>((resolve, reject) => {
      server = createTcpServer((client) => {
        connections++
        const upstream = connect(targetPort, '127.0.0.1')
        sockets.add(client)
        sockets.add(upstream)
        const drop = () => {
          client.destroy()
          upstream.destroy()
          sockets.delete(client)
          sockets.delete(upstream)
        }
        client.on('error', drop).on('close', drop)
        upstream.on('error', drop).on('close', drop)
        client.pipe(upstream)
        upstream.pipe(client)
      })
      server.once('error', reject)
      server.listen(port, '127.0.0.1', () => {
        port = (server.address() as { port: number }).port
        resolve()
      })
    })
  await listen()
  const cut = () => {
    for (const s of sockets) s.destroy()
    sockets.clear()
  }
  const down = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve())
      cut()
    })
  return {
    get url() {
      return `http://127.0.0.1:${port}`
    },
    get port() {
      return port
    },
    get connections() {
      return connections
    },
    cut,
    down,
    reopen: listen,
    close: down,
  }
}

/** `eventually` with this suite's patience (20 s): polls until `check` gives a value. */
export function waitFor<T>(
  check: () => Promise<T | undefined | false> | T | undefined | false,
  what: string,
  timeoutMs = 20_000,
): Promise<T> {
  return eventually(check, what, timeoutMs)
}

export const workflows = {
  /** A chain of `n` mock tasks, each taking `delayMs`: a run that lasts a while and logs a lot. */
  chain: (n: number, delayMs: number, name = 'chain') => ({
    weft: 1,
    name,
    defaults: { backend: 'mock' },
    tasks: Object.fromEntries(
      Array.from({ length: n }, (_, i) => [
        `t${i + 1}`,
        {
          ...(i > 0 ? { needs: [`t${i}`] } : {}),
          prompt: `step ${i + 1}`,
          with: { delayMs, events: [{ message: `working on ${i + 1}` }, { log: `log ${i + 1}` }] },
        },
      ]),
    ),
  }),
  quick: (name = 'quick') => ({
    weft: 1,
    name,
    defaults: { backend: 'mock' },
    tasks: {
      a: { prompt: 'first', with: { output: { n: 1 } } },
      b: { needs: ['a'], prompt: 'second' },
    },
  }),
  ...mockWorkflows,
}

/** 1, 2, …, n */
export function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i + 1)
}
