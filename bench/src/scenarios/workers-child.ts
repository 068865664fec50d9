/**
 * One child process of the `workers` scenario: on a fresh PostgreSQL database it starts `workers`
 * worker processes of one system (weft or its peer), then measures
 *   1. throughput: `jobs` no-op jobs enqueued in one transaction, timed until none is left;
 *   2. pickup latency: `probes` single jobs enqueued one at a time while the workers are idle,
 *      each timed from just before its enqueue to the moment a worker starts it (both clocks are
 *      this machine's, read as epoch milliseconds with sub-millisecond resolution).
 * The database is dropped after.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { createInterface } from 'node:readline'
import { setTimeout as sleep } from 'node:timers/promises'
import { execa } from 'execa'
import { childInput, childOutput } from '../lib/child.js'
import { SYSTEMS, type WorkerSystemName } from './workers-systems.js'

export interface WorkersChildInput {
  system: WorkerSystemName
  workers: number
  /** Slots per worker process. */
  concurrency: number
  jobs: number
  probes: number
}

export interface WorkersChildOutput {
  jobsPerSecond: number
  throughputMs: number
  /** Enqueue-to-start of each probe, ms. */
  pickupMs: number[]
  /** Dispatch-to-start of each probe, ms, where the system has a step before its queue (weft). */
  queuePickupMs?: number[]
  /**
   * `WEFT_BENCH_CPU=1`: CPU time per job during the throughput phase, µs: this process (weft's run
   * owner; graphile-worker's only enqueues and polls), the worker processes, and the database's
   * processes (this database's backends and the server's background processes).
   */
  cpuUsPerJob?: { owner: number; workers: number; postgres: number; system: number }
}

const input = childInput<WorkersChildInput>()
const server = process.env.WEFT_BENCH_POSTGRES ?? 'postgres://postgres@127.0.0.1:5432/postgres'
const database = `weft_bench_workers_${randomBytes(6).toString('hex')}`
const psql = (sql: string, target = server) => execa('psql', [target, '-v', 'ON_ERROR_STOP=1', '-Atc', sql])
const epochMs = () => performance.timeOrigin + performance.now()

/** CPU time of a process so far, µs (user + system, from /proc; 0 once it is gone). */
function processCpuUs(pid: number, only?: 'system'): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    // utime and stime, fields 14 and 15 of stat(5), in clock ticks of 10 ms.
    return ((only ? 0 : Number(fields[11])) + Number(fields[12])) * 10_000
  } catch {
    return 0
  }
}

/** The pids of this database's backends and of the server's background processes. */
async function postgresPids(target: string): Promise<number[]> {
  const r = await psql(
    `SELECT pid FROM pg_stat_activity WHERE datname = current_database() OR backend_type <> 'client backend'`,
    target,
  )
  return r.stdout.split('\n').filter(Boolean).map(Number)
}

/** Starts one worker process; `ready` resolves once it prints `ready`; `started` lines feed `onStarted`. */
function startWorker(
  command: string[],
  onStarted: (id: number, at: number) => void,
): { child: ChildProcess; ready: Promise<void> } {
  const child = spawn(command[0]!, command.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] })
  let stderr = ''
  child.stderr!.on('data', (d: Buffer) => {
    stderr = (stderr + d).slice(-4000)
  })
  const ready = new Promise<void>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! })
    lines.on('line', (line) => {
      if (line === 'ready') resolve()
      const m = /^started (\d+) ([\d.]+)$/.exec(line)
      if (m) onStarted(Number(m[1]), Number(m[2]))
    })
    child.on('exit', (code) => reject(new Error(`worker exited ${code}: ${stderr}`)))
  })
  ready.catch(() => {})
  return { child, ready }
}

await psql(`CREATE DATABASE ${database}`)
const url = new URL(server)
url.pathname = `/${database}`
const system = SYSTEMS[input.system](url.toString())
const children: ChildProcess[] = []
try {
  await system.prepare()
  const started = new Map<number, number>()
  const command = system.workerCommand(input.concurrency)
  const workers = Array.from({ length: input.workers }, () =>
    startWorker(command, (id, at) => started.set(id, at)),
  )
  children.push(...workers.map((w) => w.child))
  if (system.waitReady)
    await Promise.race([
      system.waitReady(input.workers),
      ...workers.map((w) => w.ready.then(() => new Promise(() => {}))),
    ])
  else await Promise.all(workers.map((w) => w.ready))
  const startedAt = async (key: string | number) =>
    system.startedAt ? system.startedAt(key) : started.get(key as number)

  const measureCpu = process.env.WEFT_BENCH_CPU === '1'
  const workerPids = children.map((c) => c.pid!)
  const pgBefore = new Map<number, number>()
  if (measureCpu) for (const pid of await postgresPids(url.toString())) pgBefore.set(pid, processCpuUs(pid))
  const ownerBefore = process.cpuUsage()
  const workersBefore = workerPids.map((pid) => processCpuUs(pid))
  const pgSystemBefore = new Map([...pgBefore.keys()].map((pid) => [pid, processCpuUs(pid, 'system')]))
  const workersSystemBefore = workerPids.map((pid) => processCpuUs(pid, 'system'))

  const t0 = performance.now()
  await system.enqueueMany(input.jobs)
  while ((await system.remaining()) > 0) await sleep(2)
  const throughputMs = performance.now() - t0

  let cpuUsPerJob: WorkersChildOutput['cpuUsPerJob']
  if (measureCpu) {
    const owner = process.cpuUsage(ownerBefore)
    const workersUs = workerPids.reduce((sum, pid, i) => sum + processCpuUs(pid) - workersBefore[i]!, 0)
    let pgUs = 0
    // The kernel's share of all three (system calls, wake-ups, the loopback network).
    let systemUs =
      owner.system +
      workerPids.reduce((sum, pid, i) => sum + processCpuUs(pid, 'system') - workersSystemBefore[i]!, 0)
    for (const pid of new Set([...pgBefore.keys(), ...(await postgresPids(url.toString()))])) {
      pgUs += processCpuUs(pid) - (pgBefore.get(pid) ?? 0)
      systemUs += processCpuUs(pid, 'system') - (pgSystemBefore.get(pid) ?? 0)
    }
    const per = (us: number) => Math.round(us / input.jobs)
    cpuUsPerJob = {
      owner: per(owner.user + owner.system),
      workers: per(workersUs),
      postgres: per(pgUs),
      system: per(systemUs),
    }
  }

  const pickupMs: number[] = []
  const queuePickupMs: number[] = []
  for (let id = 1; id <= input.probes; id++) {
    const at = epochMs()
    const key = await system.enqueueProbe(id)
    const deadline = Date.now() + 10_000
    let startedAtMs = await startedAt(key)
    while (startedAtMs === undefined && Date.now() < deadline) {
      await sleep(0.5)
      startedAtMs = await startedAt(key)
    }
    if (startedAtMs === undefined) throw new Error(`probe ${id} did not start within 10 s`)
    pickupMs.push(startedAtMs - at)
    const queuedAtMs = await system.queuedAt?.(key)
    if (queuedAtMs !== undefined) queuePickupMs.push(startedAtMs - queuedAtMs)
    // Let the workers go idle again, so every probe finds idle workers.
    await sleep(10)
  }
  childOutput({
    jobsPerSecond: (input.jobs / throughputMs) * 1000,
    throughputMs,
    pickupMs,
    ...(queuePickupMs.length ? { queuePickupMs } : {}),
    ...(cpuUsPerJob ? { cpuUsPerJob } : {}),
  } satisfies WorkersChildOutput)
} finally {
  for (const c of children) c.kill('SIGTERM')
  await Promise.all(
    children.map((c) => (c.exitCode === null ? new Promise((r) => c.once('exit', r)) : undefined)),
  )
  await system.close()
  await psql(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`)
}
