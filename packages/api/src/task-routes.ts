import type { z } from 'zod'
import { QueueHistoryQuerySchema, QueueHistorySchema } from './queue.js'
import type { ApiResponse, ApiRoute } from './routes.js'
import {
  CancelTaskRequestSchema,
  CancelTaskResponseSchema,
  ListTasksQuerySchema,
  SubmitTaskRequestSchema,
  SubmitTaskResponseSchema,
  TaskListSchema,
  TaskParamsSchema,
  TaskResponseSchema,
} from './tasks.js'

// The literal, not API_PREFIX: routes.ts imports this module, and a value import back would be a cycle.
const P = '/api/v1'
const json = (description: string, schema: z.ZodType): ApiResponse => ({ description, schema })

/** The task API beside workflows (seed 002): submit, list, get, cancel one task; the queue's history. */
export const TASK_ROUTES: readonly ApiRoute[] = [
  {
    method: 'post',
    path: `${P}/tasks`,
    operationId: 'submitTask',
    summary: 'Submit one task without a workflow: it runs as a one-task run tagged weft:task',
    scope: 'write',
    body: SubmitTaskRequestSchema,
    responses: {
      202: json(
        'The task’s run was created and starts; `Location` points at the task',
        SubmitTaskResponseSchema,
      ),
    },
  },
  {
    method: 'get',
    path: `${P}/tasks`,
    operationId: 'listTasks',
    summary: 'Tasks across runs by status, backend, agent or run, newest run first',
    scope: 'read',
    query: ListTasksQuerySchema,
    responses: { 200: json('The tasks', TaskListSchema) },
  },
  {
    method: 'get',
    path: `${P}/runs/{id}/tasks/{task}`,
    operationId: 'getTask',
    summary: 'One task’s whole state: status, output, text, error, usage',
    scope: 'read',
    params: TaskParamsSchema,
    responses: { 200: json('The task', TaskResponseSchema) },
  },
  {
    method: 'post',
    path: `${P}/runs/{id}/tasks/{task}/cancel`,
    operationId: 'cancelTask',
    summary: 'Cancel one task: it ends canceled, its dependents are skipped, the rest of the run goes on',
    scope: 'write',
    params: TaskParamsSchema,
    body: CancelTaskRequestSchema,
    responses: { 200: json('What happened to the task', CancelTaskResponseSchema) },
  },
  {
    method: 'get',
    path: `${P}/queue/history`,
    operationId: 'getQueueHistory',
    summary: 'Changes of the durable queue flag (paused, resumed), newest first',
    scope: 'read',
    query: QueueHistoryQuerySchema,
    responses: { 200: json('The changes', QueueHistorySchema) },
  },
]
