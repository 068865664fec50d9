/**
 * What `weft tasks …` and `weft queue …` do, wherever the runs are: the local runtime and store,
 * or a weft server (`--server`). Beside `RunService` (service.ts), which they also use for runs.
 */
import { userInfo } from 'node:os'
import type { WeftClient } from '@weft/client'
import {
  type QueueChange,
  type RunSummary,
  type Runtime,
  submissionSpec,
  type TaskCancelResult,
  type TaskQuery,
  type TaskState,
  type TaskSubmission,
} from '@weft/core'
import { toCliError } from './remote-service.js'

/** The queue as both sides report it. */
export interface QueueView {
  paused: boolean
  reason?: string
  by?: string
  changedAt?: string
  /** Kept in the store (every process and worker honours it) or this process's alone. */
  durable: boolean
  /** Attempts running and tasks ready to start in this process (locally) or on the server. */
  runningTasks: number
  queuedTasks: number
  activeRuns: number
  /** Unfinished runs in the store, whoever runs them. */
  runs: { pending: number; running: number; paused: number }
}

export interface TaskService {
  submit(sub: TaskSubmission): Promise<RunSummary>
  list(query: TaskQuery): Promise<TaskState[]>
  cancel(runId: string, taskId: string, reason: string): Promise<TaskCancelResult>
  queue(): Promise<QueueView>
  pauseQueue(reason?: string): Promise<QueueView>
  resumeQueue(): Promise<QueueView>
  queueHistory(limit: number): Promise<QueueChange[]>
}

/** Who acts, as the CLI records it: `cli:<user>` (`WEFT_USER` wins over the login name). */
export function cliPrincipal(env: NodeJS.ProcessEnv): string {
  if (env.WEFT_USER) return `cli:${env.WEFT_USER}`
  try {
    return `cli:${userInfo().username}`
  } catch {
    return 'cli:unknown'
  }
}

export function createLocalTaskService(runtime: Runtime, env: NodeJS.ProcessEnv): TaskService {
  const view = async (): Promise<QueueView> => {
    const q = await runtime.queueStatus()
    return {
      paused: q.paused,
      ...(q.reason !== undefined ? { reason: q.reason } : {}),
      ...(q.by !== undefined ? { by: q.by } : {}),
      ...(q.changedAt !== undefined ? { changedAt: q.changedAt } : {}),
      durable: q.durable,
      runningTasks: q.runningTasks,
      queuedTasks: q.queuedTasks,
      activeRuns: q.activeRuns,
      runs: { pending: q.runs.pending ?? 0, running: q.runs.running ?? 0, paused: q.runs.paused ?? 0 },
    }
  }
  return {
    submit: (sub) => runtime.start(submissionSpec(runtime, sub, 'cli')),
    list: (query) => runtime.queryTasks(query),
    cancel: (runId, taskId, reason) => runtime.cancelTask(runId, taskId, reason),
    queue: view,
    async pauseQueue(reason) {
      await runtime.pauseQueue({ by: cliPrincipal(env), ...(reason !== undefined ? { reason } : {}) })
      return view()
    },
    async resumeQueue() {
      await runtime.resumeQueue({ by: cliPrincipal(env) })
      return view()
    },
    queueHistory: (limit) => runtime.queueHistory({ limit }),
  }
}

export function createRemoteTaskService(client: WeftClient): TaskService {
  const remote = async <T>(fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn()
    } catch (err) {
      throw toCliError(err)
    }
  }
  const view = (q: Awaited<ReturnType<WeftClient['queue']['get']>>): QueueView => ({
    paused: q.paused,
    ...(q.reason !== undefined ? { reason: q.reason } : {}),
    ...(q.by !== undefined ? { by: q.by } : {}),
    ...(q.changedAt !== undefined ? { changedAt: q.changedAt } : {}),
    durable: q.durable ?? false,
    runningTasks: q.tasks.running,
    queuedTasks: q.tasks.queued,
    activeRuns: q.size,
    runs: { pending: q.runs.pending, running: q.runs.running, paused: q.runs.paused },
  })
  return {
    submit: (sub) =>
      remote(
        async () => (await client.tasks.submit(sub as Parameters<WeftClient['tasks']['submit']>[0])).run,
      ),
    list: (query) =>
      remote(() =>
        client.tasks.list({
          ...(query.statuses?.length ? { status: query.statuses } : {}),
          ...(query.backend !== undefined ? { backend: query.backend } : {}),
          ...(query.agent !== undefined ? { agent: query.agent } : {}),
          ...(query.runId !== undefined ? { run: query.runId } : {}),
          ...(query.limit !== undefined ? { limit: query.limit } : {}),
        }),
      ),
    cancel: (runId, taskId, reason) =>
      remote(async () => (await client.tasks.cancel(runId, taskId, { reason })) as TaskCancelResult),
    queue: () => remote(async () => view(await client.queue.get())),
    pauseQueue: (reason) =>
      remote(async () => view(await client.queue.pause(reason !== undefined ? { reason } : {}))),
    resumeQueue: () => remote(async () => view(await client.queue.resume())),
    queueHistory: (limit) => remote(() => client.queue.history({ limit })),
  }
}
