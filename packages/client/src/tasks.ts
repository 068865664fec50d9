import {
  type CancelTaskRequest,
  type CancelTaskResponse,
  CancelTaskResponseSchema,
  type ListTasksQuery,
  type SubmitTaskRequest,
  type SubmitTaskResponse,
  SubmitTaskResponseSchema,
  TaskListSchema,
  TaskResponseSchema,
} from '@weft/api'
import { isTerminalTaskStatus, type TaskState } from '@weft/core/contracts'
import type { QueryValue, Transport } from './transport.js'

interface Call {
  signal?: AbortSignal
  timeoutMs?: number
}

/** `client.tasks`: one task without a workflow, tasks across runs, one task's state and cancel. */
export interface TasksClient {
  /**
   * `POST /tasks` → 202: the task runs as a one-task run (tagged `weft:task`). A retried request
   * with the same `idempotencyKey` answers the same run.
   */
  submit(body: SubmitTaskRequest, options?: Call & { idempotencyKey?: string }): Promise<SubmitTaskResponse>
  /** Tasks across runs, newest run first. */
  list(query?: ListTasksQuery, options?: Call): Promise<TaskState[]>
  get(runId: string, taskId: string, options?: Call): Promise<TaskState>
  /** Cancels one task: its dependents are skipped, the rest of the run goes on. */
  cancel(runId: string, taskId: string, body?: CancelTaskRequest, options?: Call): Promise<CancelTaskResponse>
  /** Polls until the task ended (succeeded, failed, canceled or skipped). */
  wait(runId: string, taskId: string, options?: Call & { intervalMs?: number }): Promise<TaskState>
}

export function createTasksClient(t: Transport, call: (o?: Call) => Call, key: () => string): TasksClient {
  const params = (runId: string, taskId: string) => ({ id: runId, task: taskId })
  const tasks: TasksClient = {
    async submit(body, o = {}) {
      return (
        await t.json('submitTask', SubmitTaskResponseSchema, {
          ...call(o),
          body,
          headers: { 'idempotency-key': o.idempotencyKey ?? key() },
        })
      ).data
    },
    async list(query = {}, o) {
      return (
        await t.json('listTasks', TaskListSchema, { ...call(o), query: query as Record<string, QueryValue> })
      ).data.items as TaskState[]
    },
    async get(runId, taskId, o) {
      return (await t.json('getTask', TaskResponseSchema, { ...call(o), params: params(runId, taskId) })).data
        .task as TaskState
    },
    async cancel(runId, taskId, body = {}, o) {
      return (
        await t.json('cancelTask', CancelTaskResponseSchema, {
          ...call(o),
          params: params(runId, taskId),
          body,
        })
      ).data as CancelTaskResponse
    },
    async wait(runId, taskId, o = {}) {
      const interval = o.intervalMs ?? 250
      for (;;) {
        const task = await tasks.get(runId, taskId, o)
        if (isTerminalTaskStatus(task.status)) return task
        await new Promise<void>((resolve, reject) => {
          if (o.signal?.aborted) return reject(o.signal.reason)
          const timer = setTimeout(resolve, interval)
          o.signal?.addEventListener(
            'abort',
            () => {
              clearTimeout(timer)
              reject(o.signal?.reason)
            },
            { once: true },
          )
        })
      }
    },
  }
  return tasks
}
