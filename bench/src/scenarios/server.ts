/**
 * Scenario 7: server latency under load. The server runs in a child process (one core), the load
 * generator (autocannon, keep-alive, 16 connections) in this one. Baseline in the same run: a
 * bare node:http server answering a body of the same size from the same process.
 */
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import autocannon from 'autocannon'
import { BENCH_DIR } from '../lib/child.js'
import { int, num, ratio, spread, type Table } from '../lib/format.js'
import type { Context, Scenario, ScenarioOutput } from '../lib/scenario.js'
import { type Summary, summarize } from '../lib/stats.js'
import { healthzDuringMaximalPosts, type StallSample } from './server-stall.js'

interface Target {
  key: 'floor' | 'healthz' | 'getRun' | 'listRuns' | 'startRun'
  label: string
  method: 'GET' | 'POST'
  path: (runId: string) => string
  body?: string
}

const TARGETS: Target[] = [
  { key: 'floor', label: 'floor: node:http, same body', method: 'GET', path: () => '/' },
  { key: 'healthz', label: 'weft GET /healthz', method: 'GET', path: () => '/healthz' },
  { key: 'getRun', label: 'weft GET /api/v1/runs/{id}', method: 'GET', path: (id) => `/api/v1/runs/${id}` },
  {
    key: 'listRuns',
    label: 'weft GET /api/v1/runs?limit=20',
    method: 'GET',
    path: () => '/api/v1/runs?limit=20',
  },
  {
    key: 'startRun',
    label: 'weft POST /api/v1/runs (1 mock task)',
    method: 'POST',
    path: () => '/api/v1/runs',
    body: JSON.stringify({
      workflow: { weft: 1, name: 'load', tasks: { t: { backend: 'mock', with: { output: 1 } } } },
    }),
  },
]

interface Urls {
  weftUrl: string
  inlineParseUrl: string
  floorUrl: string
  runId: string
  bodyBytes: number
}

interface Sample {
  rps: number
  p50: number
  p97_5: number
  p99: number
  errors: number
  non2xx: number
}

async function startServer(): Promise<{
  urls: Urls
  stop(): Promise<void>
}> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(BENCH_DIR, 'src/scenarios/server-child.ts')],
    {
      cwd: BENCH_DIR,
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  )
  const urls = await new Promise<Urls>((resolve, reject) => {
    let out = ''
    child.stdout!.on('data', (d: Buffer) => {
      out += d
      const nl = out.indexOf('\n')
      if (nl >= 0) resolve(JSON.parse(out.slice(0, nl)))
    })
    child.on('exit', (code) => reject(new Error(`server child exited ${code}`)))
  })
  return {
    urls,
    stop: () =>
      new Promise<void>((resolve) => {
        child.on('exit', () => resolve())
        child.stdin!.end()
      }),
  }
}

async function load(url: string, target: Target, runId: string, seconds: number): Promise<Sample> {
  const result = await autocannon({
    url: `${url}${target.path(runId)}`,
    method: target.method,
    connections: 16,
    duration: seconds,
    ...(target.body ? { body: target.body, headers: { 'content-type': 'application/json' } } : {}),
  })
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p97_5: result.latency.p97_5,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
  }
}

export const server: Scenario = {
  name: 'server',
  title: 'Server latency under load (HTTP API)',
  async run(ctx: Context): Promise<ScenarioOutput> {
    const seconds = ctx.quick ? 2 : 5
    const rounds = ctx.quick ? 1 : 3
    const samples = Object.fromEntries(TARGETS.map((t) => [t.key, [] as Sample[]])) as Record<
      Target['key'],
      Sample[]
    >
    let bodyBytes = 0
    const stalls: { worker: StallSample[]; eventLoop: StallSample[] } = { worker: [], eventLoop: [] }
    const posts = ctx.quick ? 2 : 4
    // A fresh server each round: the runs `POST /runs` starts must not grow the next round's lists.
    for (let round = 0; round < rounds; round++) {
      const { urls, stop } = await startServer()
      bodyBytes = urls.bodyBytes
      const base = (t: Target) => (t.key === 'floor' ? urls.floorUrl : urls.weftUrl)
      try {
        // Each endpoint: a 1 s warm-up (JIT, connections), then the measurement. POST comes last,
        // so the reads see the 101 seeded runs, not the thousands the POSTs start.
        for (const t of TARGETS) {
          await load(base(t), t, urls.runId, 1)
          const s = await load(base(t), t, urls.runId, seconds)
          samples[t.key].push(s)
          ctx.log(
            `  ${t.key.padEnd(9)} round ${round + 1}: ${int(s.rps)} req/s, p50 ${s.p50} ms, p99 ${s.p99} ms`,
          )
        }
        // Last: the maximal POSTs start 2000-task runs that hang (they never finish in this process).
        for (const [kind, url] of [
          ['worker', urls.weftUrl],
          ['eventLoop', urls.inlineParseUrl],
        ] as const) {
          const s = await healthzDuringMaximalPosts(url, posts)
          stalls[kind].push(s)
          ctx.log(
            `  stall/${kind} round ${round + 1}: /healthz p99 ${s.p99} ms, max ${s.max} ms over ${s.requests} requests; POST ${int(s.postMs)} ms (${s.statuses.join(',')})`,
          )
        }
      } finally {
        await stop()
      }
    }
    const of = (k: Target['key'], f: keyof Sample): Summary => summarize(samples[k].map((s) => s[f]))
    const floorRps = of('floor', 'rps').median
    const table: Table = {
      headers: ['endpoint', 'req/s', 'p50 ms', 'p97.5 ms', 'p99 ms', 'errors / non-2xx', 'req/s vs floor'],
      rows: TARGETS.map((t) => [
        t.label,
        spread(of(t.key, 'rps')),
        spread(of(t.key, 'p50')),
        spread(of(t.key, 'p97_5')),
        spread(of(t.key, 'p99')),
        `${int(samples[t.key].reduce((a, s) => a + s.errors, 0))} / ${int(samples[t.key].reduce((a, s) => a + s.non2xx, 0))}`,
        ratio(floorRps, of(t.key, 'rps').median),
      ]),
    }
    const getRun = of('getRun', 'rps').median
    const stallOf = (k: keyof typeof stalls, f: keyof Omit<StallSample, 'statuses'>) =>
      summarize(stalls[k].map((s) => s[f]))
    const stallTable: Table = {
      headers: [
        'maximal POST parsed',
        '/healthz req/s',
        '/healthz p50 ms',
        '/healthz p99 ms',
        '/healthz max ms',
        'POST ms',
      ],
      rows: (['worker', 'eventLoop'] as const).map((k) => [
        k === 'worker' ? 'on a worker thread (default)' : 'on the event loop (parseInWorkerFromBytes: ∞)',
        spread(stallOf(k, 'rps')),
        spread(stallOf(k, 'p50')),
        spread(stallOf(k, 'p99')),
        spread(stallOf(k, 'max')),
        spread(stallOf(k, 'postMs')),
      ]),
    }
    return {
      tables: [table, stallTable],
      notes: [
        `autocannon, 16 keep-alive connections, ${seconds} s per endpoint, ${rounds} round(s), each against a fresh server process (memory store with 101 finished runs, mock backend, no auth), each endpoint after a 1 s warm-up of its own; the load generator in this one — on 2 cores they share the machine.`,
        `The floor answers the ${int(bodyBytes)}-byte JSON body of \`GET /runs/{id}\` from a bare node:http handler: what any HTTP server costs here. weft adds routing, auth, validation of the path, the store reads (summary and tasks) and the JSON encoding. "req/s vs floor" is how many times fewer requests per second weft answers.`,
        '`POST /runs` validates the workflow, commits the run and starts it; the runs it starts run during the measurement.',
        `Stall: /healthz under 4 keep-alive connections while ${posts} maximal workflows (1 MiB of JSON text, 2000 chained tasks: the default limits) are posted one after another, after one warm-up POST. The worker thread takes the YAML parse (seconds for 1 MiB) off the event loop; what is left on it is the runtime's validation and start of 2000 tasks (runtime.start, one synchronous block), which is the max. With 4 connections a stall delays only the 4 requests in flight, so p99 hides it: the max and the req/s answered during the POSTs show it. Target: p99 under 50 ms. Before issue 18, a 569 KB / 20 000-task workflow stalled /healthz for 13 s.`,
      ],
      headline: [
        [
          'server, GET /runs/{id} under 16 connections: req/s',
          `${int(getRun)} (p99 ${num(of('getRun', 'p99').median)} ms)`,
          `floor ${int(floorRps)}`,
          ratio(floorRps, getRun),
        ],
        [
          'server, /healthz p99 while a maximal workflow is posted',
          `p99 ${num(stallOf('worker', 'p99').median)} ms, max ${num(stallOf('worker', 'max').median)} ms, ${int(stallOf('worker', 'rps').median)} req/s`,
          `parse on the event loop: p99 ${num(stallOf('eventLoop', 'p99').median)} ms, max ${num(stallOf('eventLoop', 'max').median)} ms, ${int(stallOf('eventLoop', 'rps').median)} req/s`,
          ratio(stallOf('eventLoop', 'max').median, stallOf('worker', 'max').median),
        ],
        [
          'server, POST /runs (start a 1-task run): req/s',
          `${int(of('startRun', 'rps').median)} (p99 ${num(of('startRun', 'p99').median)} ms)`,
          '–',
          '–',
        ],
      ],
      data: { bodyBytes, seconds, rounds, samples, stalls },
    }
  },
}
