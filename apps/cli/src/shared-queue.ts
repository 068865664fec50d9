import { newOwnerName, type Runtime, type Store, type TaskExecutor } from '@weft/core'

/**
 * A runtime on a Postgres store dispatches its attempts to the shared task queue (a
 * `createQueueExecutor`), so `weft worker` processes on any machine may claim them. Unless told
 * otherwise (`weft worker` runs its own, full worker), the process also works the attempts of its
 * own runs with its own backends, so `weft run --store postgres://…` finishes with no worker up.
 * That worker starts with the first attempt (commands that only read never start it) and stops
 * before the store closes; the store's `close` is wrapped for that.
 */
export async function sharedQueue(store: Store, env: NodeJS.ProcessEnv, ownWorker: boolean) {
  const { createQueueExecutor, Worker } = await import('@weft/storage-postgres')
  const owner = newOwnerName()
  let runtime: Runtime | undefined
  const queue = createQueueExecutor({
    store,
    owner,
    // What this process's own worker serves: an attempt for any other backend that no live
    // worker has gets a warning in its task's log instead of waiting without a word.
    localBackends: () => (ownWorker && runtime ? runtime.backends.keys() : []),
    warn: (m) => process.stderr.write(`warning: ${m}\n`),
  })
  let workDir = process.cwd()
  let worker: InstanceType<typeof Worker> | undefined
  /** The worker of this process's own runs, started with the first attempt it needs to run. */
  const ensureWorker = () => {
    if (!ownWorker || worker || !runtime) return
    worker = new Worker({
      store,
      name: `run:${owner}`,
      backends: runtime.backends,
      concurrency: 64,
      onlyOwner: owner,
      record: false,
      workDir,
      ...(leaseFrom(env) ? { leaseMs: leaseFrom(env) } : {}),
      warn: (m) => process.stderr.write(`warning: ${m}\n`),
    })
    void worker.start()
  }
  const executor: TaskExecutor = {
    start(attempt, io) {
      ensureWorker()
      return queue.start(attempt, io)
    },
    // A run taken over from a dead process: the attempts live workers still run are followed.
    inFlight: (runId) => queue.inFlight(runId),
    follow(attempt, io) {
      ensureWorker()
      return queue.follow(attempt, io)
    },
  }
  const close = store.close.bind(store)
  store.close = async () => {
    await worker?.stop(0)
    await queue.close()
    await close()
  }
  return {
    owner,
    executor,
    attach(r: Runtime, cwd: string) {
      runtime = r
      workDir = cwd
    },
  }
}

/** `WEFT_TASK_LEASE_MS`: how long a claimed attempt stays a worker's without a heartbeat. */
export function leaseFrom(env: NodeJS.ProcessEnv): number | undefined {
  const n = Number(env.WEFT_TASK_LEASE_MS ?? '')
  return Number.isInteger(n) && n >= 100 ? n : undefined
}
