/**
 * The server side of scenario 7: a weft server (memory store, mock backend, no auth), a second one
 * that parses workflow texts on its event loop, and, in the same process, the floor — a bare node:http server that answers a JSON body of the same size as
 * weft's answer to `GET /runs/{id}`. Prints their URLs as one JSON line and serves until stdin ends.
 */
import { createServer as createHttpServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createMockBackend } from '@weft/backend-mock'
import { createMemoryStore, createRuntime } from '@weft/core'
import { createServer, silentLogger } from '@weft/server'
import { childOutput } from '../lib/child.js'

const runtime = createRuntime({
  store: createMemoryStore(),
  backends: [createMockBackend()],
  maxParallelism: 64,
})
const weft = createServer(runtime, { logger: silentLogger })
const { url: weftUrl } = await weft.listen({ port: 0, host: '127.0.0.1' })
// The same server parsing every workflow text on its event loop (no worker thread): the baseline
// of the "/healthz during a maximal POST" measurement.
const inline = createServer(runtime, {
  logger: silentLogger,
  parseInWorkerFromBytes: Number.MAX_SAFE_INTEGER,
})
const { url: inlineParseUrl } = await inline.listen({ port: 0, host: '127.0.0.1' })

// One finished run of four tasks to read back.
const run = await runtime.start({
  workflow: {
    weft: 1,
    name: 'bench',
    tasks: {
      a: { backend: 'mock', with: { output: 'a' } },
      b: { backend: 'mock', needs: ['a'], with: { output: 'b' } },
      c: { backend: 'mock', needs: ['a'], with: { output: 'c' } },
      d: { backend: 'mock', needs: ['b', 'c'], with: { output: 'd' } },
    },
  },
})
await runtime.wait(run.id)
// 100 more finished runs, so that `GET /runs?limit=20` reads a page of a real list.
for (let i = 0; i < 100; i++) {
  const r = await runtime.start({
    workflow: { weft: 1, name: `seed-${i}`, tasks: { t: { backend: 'mock' } } },
  })
  await runtime.wait(r.id)
}
const sample = await (await fetch(`${weftUrl}/api/v1/runs/${run.id}`)).text()

const floor = createHttpServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(sample) })
  res.end(sample)
})
await new Promise<void>((resolve) => floor.listen(0, '127.0.0.1', resolve))
const floorUrl = `http://127.0.0.1:${(floor.address() as AddressInfo).port}`

childOutput({ weftUrl, inlineParseUrl, floorUrl, runId: run.id, bodyBytes: Buffer.byteLength(sample) })
process.stdin.resume()
process.stdin.on('end', async () => {
  floor.close()
  await weft.close({ graceMs: 0 })
  await inline.close({ graceMs: 0 })
  await runtime.close()
  process.exit(0)
})
