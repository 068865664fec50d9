/**
 * Part of scenario 7: does one huge request stall the server? `/healthz` under 4 keep-alive
 * connections while maximal workflows are posted one after another — the largest a server takes
 * by default (1 MiB of YAML text, 2000 tasks in a chain). Measured against the server (parse
 * on a worker thread) and the same server parsing on its event loop. Issue 18 measured 13 s of
 * stall for a 569 KB / 20 000-task workflow before limits and the worker; the target is a p99
 * under 50 ms.
 */
import autocannon from 'autocannon'

/**
 * The largest workflow the server takes by default, as YAML text: `tasks` chained tasks (each
 * waits for the one before and hangs, so the runs stay cheap) padded to `bytes` by their prompts.
 */
export function maximalWorkflowText(tasks: number, bytes: number): string {
  const build = (pad: number) => {
    const lines = ['weft: 1', 'name: maximal', 'defaults: { backend: mock }', 'tasks:']
    for (let i = 0; i < tasks; i++) {
      lines.push(
        `  t${i}: { prompt: p${'p'.repeat(pad)}, with: { hang: true }${i > 0 ? `, needs: [t${i - 1}]` : ''} }`,
      )
    }
    return `${lines.join('\n')}\n`
  }
  const base = build(0).length
  return build(Math.max(0, Math.floor((bytes - base) / tasks)))
}

export interface StallSample {
  /** `/healthz` latencies while the POSTs ran, in ms. */
  p50: number
  p99: number
  max: number
  requests: number
  /** `/healthz` answers per second while the POSTs ran: how free the event loop was. */
  rps: number
  /** Wall time of one maximal POST (to its 202), median, in ms. */
  postMs: number
  statuses: number[]
}

const MAX_TASKS = 2000
/** The body limit is 1 MiB and the text travels as a JSON string inside it. */
const TEXT_BYTES = 1024 * 1024 - 16 * 1024

/** `/healthz` latencies while `posts` maximal workflows are posted to `url`, one after another. */
export async function healthzDuringMaximalPosts(url: string, posts: number): Promise<StallSample> {
  const body = JSON.stringify({ workflow: maximalWorkflowText(MAX_TASKS, TEXT_BYTES) })
  // Warm-up: JIT, the worker thread, connections.
  await post(url, body)
  let finish: (r: autocannon.Result) => void = () => {}
  const done = new Promise<autocannon.Result>((resolve) => {
    finish = resolve
  })
  const load = autocannon({ url: `${url}/healthz`, connections: 4, duration: 600 }, (err, result) => {
    if (err) throw err
    finish(result)
  })
  const times: number[] = []
  const statuses: number[] = []
  const began = performance.now()
  for (let i = 0; i < posts; i++) {
    const started = performance.now()
    statuses.push(await post(url, body))
    times.push(performance.now() - started)
  }
  const elapsed = (performance.now() - began) / 1000
  load.stop()
  const result = await done
  times.sort((a, b) => a - b)
  return {
    p50: result.latency.p50,
    p99: result.latency.p99,
    max: result.latency.max,
    requests: result.requests.total,
    rps: result.requests.total / elapsed,
    postMs: times[Math.floor(times.length / 2)] ?? 0,
    statuses,
  }
}

async function post(url: string, body: string): Promise<number> {
  const res = await fetch(`${url}/api/v1/runs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
  })
  await res.arrayBuffer()
  return res.status
}
