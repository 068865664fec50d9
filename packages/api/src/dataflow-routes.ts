import type { z } from 'zod'
import {
  CreateDataflowExecutionRequestSchema,
  DataflowComponentListSchema,
  DataflowEventListSchema,
  DataflowExecutionListSchema,
  DataflowExecutionSchema,
  DataflowGraphInfoSchema,
  DataflowGraphListSchema,
  DataflowIdParamSchema,
  InjectDataflowRequestSchema,
  InjectDataflowResponseSchema,
  RegisterDataflowGraphRequestSchema,
} from './dataflow.js'
import type { ApiResponse, ApiRoute } from './routes.js'

// The literal, not API_PREFIX: routes.ts imports this module, and a value import back would be a cycle.
const P = '/api/v1/dataflow'
const json = (description: string, schema: z.ZodType): ApiResponse => ({ description, schema })
const executionControl = (
  action: 'start' | 'pause' | 'resume' | 'stop' | 'end',
  operationId: string,
  summary: string,
): ApiRoute => ({
  method: 'post',
  path: `${P}/executions/{id}/${action}`,
  operationId,
  summary,
  scope: 'write',
  params: DataflowIdParamSchema,
  responses: { 200: json('The execution after the request', DataflowExecutionSchema) },
})

/** The dataflow routes, part of `API_ROUTES`. */
export const DATAFLOW_ROUTES: readonly ApiRoute[] = [
  {
    method: 'get',
    path: `${P}/components`,
    operationId: 'listDataflowComponents',
    summary: 'Components graphs can use (built-ins and plugins’), with ports and option schemas',
    scope: 'read',
    responses: { 200: json('The components', DataflowComponentListSchema) },
  },
  {
    method: 'post',
    path: `${P}/graphs`,
    operationId: 'registerDataflowGraph',
    summary:
      'Validate a dataflow graph and keep it for executions (400 workflow_invalid lists every problem)',
    scope: 'write',
    body: RegisterDataflowGraphRequestSchema,
    responses: { 201: json('The graph, its topology and warnings', DataflowGraphInfoSchema) },
  },
  {
    method: 'get',
    path: `${P}/graphs`,
    operationId: 'listDataflowGraphs',
    summary: 'Graphs registered on this server',
    scope: 'read',
    responses: { 200: json('The graphs', DataflowGraphListSchema) },
  },
  {
    method: 'post',
    path: `${P}/executions`,
    operationId: 'createDataflowExecution',
    summary: 'Create an execution of a registered or inline graph, started unless `start: false`',
    scope: 'write',
    body: CreateDataflowExecutionRequestSchema,
    responses: { 201: json('The execution', DataflowExecutionSchema) },
  },
  {
    method: 'get',
    path: `${P}/executions`,
    operationId: 'listDataflowExecutions',
    summary: 'Executions, live ones and those kept in the store, newest first',
    scope: 'read',
    responses: { 200: json('The executions', DataflowExecutionListSchema) },
  },
  {
    method: 'get',
    path: `${P}/executions/{id}`,
    operationId: 'getDataflowExecution',
    summary: 'An execution with its per-node metrics',
    scope: 'read',
    params: DataflowIdParamSchema,
    responses: { 200: json('The execution', DataflowExecutionSchema) },
  },
  {
    method: 'get',
    path: `${P}/executions/{id}/events`,
    operationId: 'listDataflowExecutionEvents',
    summary: 'An execution’s recorded events: state changes, node errors, backpressure, logs',
    scope: 'read',
    params: DataflowIdParamSchema,
    responses: { 200: json('The events', DataflowEventListSchema) },
  },
  {
    method: 'post',
    path: `${P}/executions/{id}/inject`,
    operationId: 'injectDataflowMessages',
    summary: 'Inject messages into an input port (429 queue_full when its queue is at its bound)',
    scope: 'write',
    params: DataflowIdParamSchema,
    body: InjectDataflowRequestSchema,
    responses: {
      202: json('The messages taken', InjectDataflowResponseSchema),
      429: { description: 'The queue is full (a paused execution queues up to its bound)' },
    },
  },
  executionControl('start', 'startDataflowExecution', 'Start a pending execution'),
  executionControl('pause', 'pauseDataflowExecution', 'Pause: messages queue up to the bounds'),
  executionControl('resume', 'resumeDataflowExecution', 'Resume: the queues drain in order'),
  executionControl('stop', 'stopDataflowExecution', 'Stop (cancel): queues cleared, cleanup called'),
  executionControl('end', 'endDataflowExecution', 'No more input: the execution completes once drained'),
]
