import {
  type CreateDataflowExecutionRequest,
  DataflowComponentListSchema,
  DataflowEventListSchema,
  type DataflowExecution,
  DataflowExecutionListSchema,
  DataflowExecutionSchema,
  type DataflowGraphInfo,
  DataflowGraphInfoSchema,
  DataflowGraphListSchema,
  type InjectDataflowRequest,
  type InjectDataflowResponse,
  InjectDataflowResponseSchema,
} from '@weft/api'
import type { z } from 'zod'
import type { Transport } from './transport.js'

interface Call {
  signal?: AbortSignal
  timeoutMs?: number
}

/** `client.dataflow`: graphs, executions, injection and components of `/api/v1/dataflow`. */
export interface DataflowClient {
  components(options?: Call): Promise<z.output<typeof DataflowComponentListSchema>['items']>
  graphs: {
    /** Validates and keeps a graph (YAML/JSON text or an object); an invalid one throws `workflow_invalid` with every diagnostic in `details`. */
    register(graph: string | Record<string, unknown>, options?: Call): Promise<DataflowGraphInfo>
    list(options?: Call): Promise<DataflowGraphInfo[]>
  }
  executions: {
    /** From a registered graph (`graphId`) or one inline (`graph`); started unless `start: false`. */
    create(body: CreateDataflowExecutionRequest, options?: Call): Promise<DataflowExecution>
    list(options?: Call): Promise<DataflowExecution[]>
    get(id: string, options?: Call): Promise<DataflowExecution>
    events(id: string, options?: Call): Promise<z.output<typeof DataflowEventListSchema>['items']>
    /** A full queue answers `queue_full` (429) when no message was taken. */
    inject(id: string, body: InjectDataflowRequest, options?: Call): Promise<InjectDataflowResponse>
    start(id: string, options?: Call): Promise<DataflowExecution>
    pause(id: string, options?: Call): Promise<DataflowExecution>
    resume(id: string, options?: Call): Promise<DataflowExecution>
    stop(id: string, options?: Call): Promise<DataflowExecution>
    end(id: string, options?: Call): Promise<DataflowExecution>
  }
}

export function createDataflowClient(t: Transport, call: (o?: Call) => Call): DataflowClient {
  const params = (id: string) => ({ id })
  const control = (operationId: string) => async (id: string, o?: Call) =>
    (await t.json(operationId, DataflowExecutionSchema, { ...call(o), params: params(id) })).data
  return {
    async components(o) {
      return (await t.json('listDataflowComponents', DataflowComponentListSchema, call(o))).data.items
    },
    graphs: {
      async register(graph, o) {
        return (
          await t.json('registerDataflowGraph', DataflowGraphInfoSchema, { ...call(o), body: { graph } })
        ).data
      },
      async list(o) {
        return (await t.json('listDataflowGraphs', DataflowGraphListSchema, call(o))).data.items
      },
    },
    executions: {
      async create(body, o) {
        return (await t.json('createDataflowExecution', DataflowExecutionSchema, { ...call(o), body })).data
      },
      async list(o) {
        return (await t.json('listDataflowExecutions', DataflowExecutionListSchema, call(o))).data.items
      },
      async get(id, o) {
        return (
          await t.json('getDataflowExecution', DataflowExecutionSchema, { ...call(o), params: params(id) })
        ).data
      },
      async events(id, o) {
        return (
          await t.json('listDataflowExecutionEvents', DataflowEventListSchema, {
            ...call(o),
            params: params(id),
          })
        ).data.items
      },
      async inject(id, body, o) {
        return (
          await t.json('injectDataflowMessages', InjectDataflowResponseSchema, {
            ...call(o),
            params: params(id),
            body,
          })
        ).data
      },
      start: control('startDataflowExecution'),
      pause: control('pauseDataflowExecution'),
      resume: control('resumeDataflowExecution'),
      stop: control('stopDataflowExecution'),
      end: control('endDataflowExecution'),
    },
  }
}
