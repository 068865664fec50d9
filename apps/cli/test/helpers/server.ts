/**
 * A real weft server in the test process for `--server` tests: `createServer` of `@weft/server`
 * over the runtime the CLI composes for itself (mock and shell backends, the cost model, the
 * context pipeline), on a SQLite store in a temp directory, on 127.0.0.1 with a free port.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Runtime } from '@weft/core'
import { type ApiKey, createServer, type ServerOptions, type WeftServer } from '@weft/server'
import { createCliRuntime } from '../../src/compose.js'

export interface TestServer {
  url: string
  runtime: Runtime
  server: WeftServer
  /** The server's SQLite file: `--store` on it shows the same runs locally. */
  store: string
  close(): Promise<void>
}

export async function startTestServer(
  options: { keys?: ApiKey[]; policy?: ServerOptions['policy'] } = {},
): Promise<TestServer> {
  const dir = mkdtempSync(join(tmpdir(), 'weft-cli-server-'))
  const store = join(dir, 'server.db')
  const { runtime } = await createCliRuntime({ cwd: dir, env: {}, store, reporter: { warn() {} } })
  const quiet = () => {}
  const server = createServer(runtime, {
    logger: { info: quiet, warn: quiet, error: quiet },
    // A server with keys runs only named workflows by default; these tests post inline ones.
    ...(options.keys ? { auth: { keys: options.keys }, policy: { inlineWorkflows: true } } : {}),
    ...(options.policy
      ? { policy: { ...(options.keys ? { inlineWorkflows: true } : {}), ...options.policy } }
      : {}),
  })
  const { url } = await server.listen({ port: 0, host: '127.0.0.1' })
  return {
    url,
    runtime,
    server,
    store,
    async close() {
      await server.close({ graceMs: 1000 })
      await runtime.close()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
