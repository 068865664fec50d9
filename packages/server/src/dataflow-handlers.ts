import type {
  CreateDataflowExecutionRequestSchema,
  InjectDataflowRequestSchema,
  RegisterDataflowGraphRequestSchema,
} from '@weft/api'
import { DataflowError, type Execution } from '@weft/dataflow'
import { z } from 'zod'
import type { DataflowService } from './dataflow-service.js'
import { HttpError } from './errors.js'
import type { Handler } from './handlers.js'

type Out<T extends z.ZodType> = z.output<T>

/** A `DataflowError` as the HTTP answer it stands for. */
function httpOf(err: unknown): unknown {
  if (!(err instanceof DataflowError)) return err
  const options = err.hint ? { hint: err.hint } : {}
  switch (err.code) {
    case 'queue_full':
      return new HttpError('queue_full', err.message, { ...options, headers: { 'Retry-After': '1' } })
    case 'unknown_target':
      return new HttpError('input_invalid', err.message, options)
    case 'graph_invalid':
      return new HttpError('workflow_invalid', err.message, options)
    default:
      return new HttpError('conflict', err.message, options)
  }
}

async function guard<T>(work: () => T | Promise<T>): Promise<T> {
  try {
    return await work()
  } catch (err) {
    throw httpOf(err)
  }
}

/** The handlers of the `/api/v1/dataflow` routes, by operationId. */
export function createDataflowHandlers(service: DataflowService): Record<string, Handler> {
  const control =
    (act: (e: Execution) => unknown | Promise<unknown>): Handler =>
    async ({ c, params }) => {
      const execution = service.execution(params.id!)
      await guard(() => act(execution))
      // A stop answers once the store has the final record, so a reader after it finds it there.
      await service.recorded(params.id!)
      return c.json(service.describe(execution))
    }
  return {
    listDataflowComponents: ({ c }) =>
      c.json({
        items: [...service.dataflow.components.values()].map((comp) => ({
          id: comp.id,
          ...(comp.label ? { label: comp.label } : {}),
          ...(comp.description ? { description: comp.description } : {}),
          inputs: comp.inputs.map((p) => ({ name: p.name, ...(p.type ? { type: p.type } : {}) })),
          outputs: comp.outputs.map((p) => ({ name: p.name, ...(p.type ? { type: p.type } : {}) })),
          ...(comp.optionsSchema ? { options: jsonSchema(comp.optionsSchema) } : {}),
        })),
      }),
    registerDataflowGraph: async ({ c, body }) => {
      const { graph } = body as Out<typeof RegisterDataflowGraphRequestSchema>
      return c.json(await service.register(graph), 201)
    },
    listDataflowGraphs: ({ c }) => c.json({ items: service.listGraphs() }),
    createDataflowExecution: async ({ c, body }) => {
      const request = body as Out<typeof CreateDataflowExecutionRequestSchema>
      const execution = await guard(() => service.create(request))
      c.header('Location', `/api/v1/dataflow/executions/${execution.id}`)
      return c.json(execution, 201)
    },
    listDataflowExecutions: async ({ c }) => c.json({ items: await service.list() }),
    getDataflowExecution: async ({ c, params }) => c.json(await service.get(params.id!)),
    listDataflowExecutionEvents: async ({ c, params }) => c.json({ items: await service.events(params.id!) }),
    injectDataflowMessages: async ({ c, params, body }) => {
      const request = body as Out<typeof InjectDataflowRequestSchema>
      const execution = service.execution(params.id!)
      const target = {
        ...(request.node ? { node: request.node } : {}),
        ...(request.port ? { port: request.port } : {}),
      }
      const values = request.values ?? [request.value]
      const ids: string[] = []
      for (const value of values) {
        try {
          ids.push(execution.inject(value, target).id)
        } catch (err) {
          // A full queue after some were taken: say how many, the caller retries the rest.
          if (err instanceof DataflowError && err.code === 'queue_full' && ids.length > 0) break
          throw httpOf(err)
        }
      }
      return c.json({ accepted: ids.length, ids }, 202)
    },
    startDataflowExecution: control((e) => e.start()),
    pauseDataflowExecution: control((e) => e.pause()),
    resumeDataflowExecution: control((e) => e.resume()),
    stopDataflowExecution: control((e) => e.stop()),
    endDataflowExecution: control((e) => e.end()),
  }
}

function jsonSchema(schema: z.ZodType): Record<string, unknown> | undefined {
  try {
    return z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>
  } catch {
    return undefined
  }
}
