/**
 * One graphile-worker process of the `workers` scenario: a worker pool with `concurrency` slots
 * and one no-op task. It prints `ready` once it listens, and for every job that carries
 * `{ probe: true }` the time it started (`started <id> <epoch ms>`), so the coordinator can take
 * enqueue-to-start latency from the same clock. It stops on SIGTERM.
 */
import { run } from 'graphile-worker'

const [connectionString, concurrency] = [process.argv[2]!, Number(process.argv[3] ?? 10)]

const runner = await run({
  connectionString,
  concurrency,
  noHandleSignals: true,
  // Jobs wake workers through LISTEN/NOTIFY; the poll is only the fallback.
  pollInterval: 1000,
  taskList: {
    noop: async (payload) => {
      const p = payload as { probe?: boolean; id?: number }
      if (p.probe) process.stdout.write(`started ${p.id} ${performance.timeOrigin + performance.now()}\n`)
    },
  },
})
process.stdout.write('ready\n')
process.on('SIGTERM', () => {
  void runner.stop().then(() => process.exit(0))
})
