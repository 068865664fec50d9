/**
 * The task API beside workflows: `POST /tasks` (one task as a one-task run, started through the
 * same starter as `POST /runs`: policy, queue bound and Idempotency-Key apply), `GET /tasks`
 * (across runs), one task's state, and canceling one task.
 */
import {
  API_PREFIX,
  type CancelTaskRequestSchema,
  type CancelTaskResponse,
  type ListTasksQuerySchema,
  type SubmitTaskRequestSchema,
  type SubmitTaskResponse,
} from '@weft/api'
import {
  DEFAULT_SUBMITTED_TASK_ID,
  type Json,
  parseTraceparent,
  type Runtime,
  submissionWorkflow,
  TASK_SUBMISSION_TAG,
  WeftError,
} from '@weft/core'
import type { z } from 'zod'
import { getRun } from './controls.js'
import { HttpError } from './errors.js'
import type { Handler } from './handlers.js'
import type { RunStarter } from './start-run.js'

type Out<T extends z.ZodType> = z.output<T>

export interface TaskHandlerDeps {
  runtime: Runtime
  starter: RunStarter
}

export function createTaskHandlers({ runtime, starter }: TaskHandlerDeps): Record<string, Handler> {
  return {
    async submitTask({ c, body, principal }) {
      const b = body as Out<typeof SubmitTaskRequestSchema>
      const backend = runtime.backends.get(b.backend)
      if (!backend) {
        throw new WeftError('input_invalid', `unknown backend '${b.backend}'`, {
          hint: `this server runs: ${[...runtime.backends.keys()].sort().join(', ') || '(none)'} (GET /api/v1/backends)`,
        })
      }
      const { tags, ...submission } = b
      const workflow = submissionWorkflow(
        { ...submission, ...(b.with ? { with: b.with as Record<string, Json> } : {}) } as Parameters<
          typeof submissionWorkflow
        >[0],
        backend.commandFields,
      )
      const trace = parseTraceparent(c.req.header('traceparent'), c.req.header('tracestate'))
      const { run } = await starter
        .start(
          {
            workflow: workflow as unknown as Record<string, unknown>,
            tags: [TASK_SUBMISSION_TAG, ...(tags ?? []).filter((t) => t !== TASK_SUBMISSION_TAG)],
          },
          c.req.header('idempotency-key'),
          principal,
          trace,
        )
        .catch((err: unknown) => {
          throw asTaskRefusal(err)
        })
      const taskId = b.task ?? DEFAULT_SUBMITTED_TASK_ID
      const answer: SubmitTaskResponse = { runId: run.id, taskId, run }
      return c.json(answer, 202, {
        Location: `${API_PREFIX}/runs/${encodeURIComponent(run.id)}/tasks/${encodeURIComponent(taskId)}`,
      })
    },

    async listTasks({ c, query }) {
      const q = query as Out<typeof ListTasksQuerySchema>
      const items = await runtime.queryTasks({
        ...(q.status?.length ? { statuses: q.status } : {}),
        ...(q.backend !== undefined ? { backend: q.backend } : {}),
        ...(q.agent !== undefined ? { agent: q.agent } : {}),
        ...(q.run !== undefined ? { runId: q.run } : {}),
        limit: q.limit,
      })
      return c.json({ items })
    },

    async getTask({ c, params }) {
      await getRun(runtime, params.id!)
      const task = (await runtime.tasks(params.id!)).find((t) => t.taskId === params.task)
      if (!task) throw taskNotFound(params.id!, params.task!)
      return c.json({ task })
    },

    async cancelTask({ c, params, body }) {
      const b = body as Out<typeof CancelTaskRequestSchema>
      await getRun(runtime, params.id!)
      const result = await runtime.cancelTask(
        params.id!,
        params.task!,
        b.reason ?? 'canceled through the API',
      )
      const answer: CancelTaskResponse = result
      return c.json(answer)
    },
  }
}

/** The policy's refusal of inline workflows, said for a submitted task (which is one). */
function asTaskRefusal(err: unknown): unknown {
  if (!(err instanceof HttpError) || err.code !== 'inline_workflows_disabled') return err
  return new HttpError(
    'inline_workflows_disabled',
    `this server accepts no submitted tasks: ${err.message}`,
    {
      hint: 'a submitted task runs as an inline one-task workflow: allow inline workflows with policy.inlineWorkflows (or the key’s inlineWorkflows), or start a workflow of the folder by name',
      ...(err.details !== undefined ? { details: err.details } : {}),
    },
  )
}

function taskNotFound(runId: string, taskId: string): WeftError {
  return new WeftError('task_not_found', `run ${runId} has no task '${taskId}'`, {
    hint: `GET ${API_PREFIX}/runs/${runId} lists its tasks`,
  })
}
