/**
 * A real weft server for the page: SQLite in a temp dir, the mock and shell backends, a
 * workflows folder (the examples the issue names, plus slow ones), the built page at `/`, on
 * 127.0.0.1 with a free port.
 */
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createMockBackend } from '@weft/backend-mock'
import { createShellBackend } from '@weft/backend-shell'
import { createContextPipeline } from '@weft/context'
import { createRuntime, type Runtime } from '@weft/core'
import { createCostModel } from '@weft/cost'
import { type ApiKey, createServer, type WeftServer } from '@weft/server'
import { createSqliteStore } from '@weft/storage-sqlite'
import { uiAssetsDir } from '../src/node/index.js'

const EXAMPLES = resolve(dirname(fileURLToPath(import.meta.url)), '../../../examples')

export interface PageServer {
  url: string
  port: number
  runtime: Runtime
  server: WeftServer
  close(): Promise<void>
}

/** Four tasks one after the other: long enough to reload the page in the middle. */
const CHAIN = `weft: 1
name: chain
defaults: { backend: mock, model: claude-sonnet-4-5 }
tasks:
  one: { prompt: "one", with: { delayMs: 900, usage: { inputTokens: 100, outputTokens: 20 } } }
  two: { needs: [one], prompt: "two", with: { delayMs: 900, usage: { inputTokens: 100, outputTokens: 20 } } }
  three: { needs: [two], prompt: "three", with: { delayMs: 900, usage: { inputTokens: 100, outputTokens: 20 } } }
  four: { needs: [three], prompt: "four", with: { delayMs: 900, usage: { inputTokens: 100, outputTokens: 20 } } }
`

/** A task that runs until it is canceled. */
const FOREVER = `weft: 1
name: forever
defaults: { backend: mock }
tasks:
  prepare: { prompt: "prepare", with: { delayMs: 50 } }
  wait: { needs: [prepare], prompt: "wait", with: { hang: true } }
`

/** A model that streams its answer word by word, then keeps running until canceled. */
const STREAM = `weft: 1
name: stream
defaults: { backend: mock }
tasks:
  talk:
    prompt: "talk"
    with:
      hang: true
      events:
${['one ', 'two ', 'three ', 'four ', 'five ', 'six'].map((w) => `        - { delta: "${w}", delayMs: 400 }`).join('\n')}
`

export async function startPageServer(options: { keys?: ApiKey[] } = {}): Promise<PageServer> {
  const dir = await mkdtemp(join(tmpdir(), 'weft-ui-'))
  const workflows = join(dir, 'workflows')
  await mkdir(workflows)
  await copyFile(join(EXAMPLES, 'hello.yaml'), join(workflows, 'hello.yaml'))
  await copyFile(join(EXAMPLES, 'approval.yaml'), join(workflows, 'approval.yaml'))
  await copyFile(join(EXAMPLES, 'budget.yaml'), join(workflows, 'budget.yaml'))
  await copyFile(join(EXAMPLES, 'retries.yaml'), join(workflows, 'retries.yaml'))
  await copyFile(join(EXAMPLES, 'failure.yaml'), join(workflows, 'failure.yaml'))
  await copyFile(join(EXAMPLES, 'compensation.yaml'), join(workflows, 'compensation.yaml'))
  await copyFile(join(EXAMPLES, 'context.yaml'), join(workflows, 'context.yaml'))
  await copyFile(join(EXAMPLES, 'map.yaml'), join(workflows, 'map.yaml'))
  await copyFile(join(EXAMPLES, 'subworkflow.yaml'), join(workflows, 'subworkflow.yaml'))
  // `uses: ./sub/review.yaml` is read beside the workflow (the folder) or, for now, from the
  // runtime's work dir (a named workflow does not carry its folder yet): both have it.
  for (const base of [workflows, dir]) {
    await mkdir(join(base, 'sub'), { recursive: true })
    await copyFile(join(EXAMPLES, 'sub/review.yaml'), join(base, 'sub/review.yaml'))
  }
  await writeFile(join(workflows, 'chain.yaml'), CHAIN)
  await writeFile(join(workflows, 'forever.yaml'), FOREVER)
  await writeFile(join(workflows, 'stream.yaml'), STREAM)
  const runtime = createRuntime({
    store: createSqliteStore({ path: join(dir, 'weft.db') }),
    backends: [createMockBackend(), createShellBackend({ cwdRoot: dir })],
    workDir: dir,
    // As `weft serve` composes it: prices from the catalog, the context pipeline.
    cost: createCostModel(),
    context: createContextPipeline(),
    reporter: { warn() {} },
  })
  const quiet = () => {}
  const server = createServer(runtime, {
    logger: { info: quiet, warn: quiet, error: quiet },
    workflowsDir: workflows,
    ui: { dir: uiAssetsDir() },
    policy: { workDir: dir, shellCwdRoot: dir },
    ...(options.keys ? { auth: { keys: options.keys } } : {}),
    // The reconnect test reaches it through a proxy on another port of 127.0.0.1.
    allowedHosts: ['127.0.0.1'],
  })
  const { url, port } = await server.listen({ port: 0, host: '127.0.0.1' })
  return {
    url,
    port,
    runtime,
    server,
    async close() {
      await server.close({ graceMs: 1000 })
      await runtime.close()
      await rm(dir, { recursive: true, force: true })
    },
  }
}
