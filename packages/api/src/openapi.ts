import { z } from 'zod'
import { ApiErrorBodySchema, statusOfCode } from './errors.js'
import { API_ROUTES, type ApiRoute } from './routes.js'
import { WsClientMessageSchema, WsServerMessageSchema } from './ws.js'

type JsonSchemaObject = Record<string, unknown>

/**
 * The OpenAPI 3.1 document of the API, generated from the same zod schemas the server validates
 * with, so the two cannot drift.
 */
export function buildOpenApiDocument(
  options: { version?: string; serverUrl?: string } = {},
): JsonSchemaObject {
  const components: Record<string, JsonSchemaObject> = {}
  const ref = (name: string, schema: z.ZodType, io: 'input' | 'output') => {
    if (!components[name]) components[name] = convert(name, schema, io, components)
    return { $ref: `#/components/schemas/${name}` }
  }
  ref('ApiError', ApiErrorBodySchema, 'output')
  ref('WsClientMessage', WsClientMessageSchema, 'input')
  ref('WsServerMessage', WsServerMessageSchema, 'output')

  const paths: Record<string, Record<string, unknown>> = {}
  for (const route of API_ROUTES) {
    const name = pascal(route.operationId)
    const op: Record<string, unknown> = {
      operationId: route.operationId,
      summary: route.summary,
      tags: [tagOf(route)],
      parameters: parameters(route),
      responses: responses(route, name, ref),
    }
    if (route.scope === 'public') op.security = []
    else op['x-weft-scope'] = route.scope
    if (route.body) {
      op.requestBody = {
        required: true,
        content: { 'application/json': { schema: ref(`${name}Request`, route.body, 'input') } },
      }
    }
    paths[route.path] ??= {}
    paths[route.path]![route.method] = op
  }

  return {
    openapi: '3.1.0',
    info: {
      title: 'weft API',
      version: options.version ?? '1',
      description:
        'Start and watch weft runs. Errors are `{ error: { code, message, hint?, details? } }` with a stable code.',
    },
    ...(options.serverUrl ? { servers: [{ url: options.serverUrl }] } : {}),
    security: [{ apiKey: [] }],
    paths,
    components: {
      schemas: components,
      securitySchemes: {
        apiKey: { type: 'http', scheme: 'bearer', description: 'An API key: `Authorization: Bearer <key>`.' },
      },
    },
  }
}

function parameters(route: ApiRoute): JsonSchemaObject[] {
  const out: JsonSchemaObject[] = []
  if (route.params) {
    const js = z.toJSONSchema(route.params, { io: 'input', unrepresentable: 'any' }) as JsonSchemaObject
    for (const [name, schema] of Object.entries((js.properties ?? {}) as Record<string, JsonSchemaObject>)) {
      out.push({ name, in: 'path', required: true, schema })
    }
  }
  if (route.query) {
    const js = z.toJSONSchema(route.query, { io: 'input', unrepresentable: 'any' }) as JsonSchemaObject
    const required = new Set((js.required ?? []) as string[])
    for (const [name, schema] of Object.entries((js.properties ?? {}) as Record<string, JsonSchemaObject>)) {
      // Lists are comma separated (`?status=running,paused`).
      const s =
        Object.keys(schema).length === 0 ? { type: 'string', description: 'comma-separated values' } : schema
      out.push({ name, in: 'query', required: required.has(name), schema: s })
    }
  }
  for (const [name, description] of Object.entries(route.headers ?? {})) {
    out.push({ name, in: 'header', required: false, description, schema: { type: 'string' } })
  }
  return out
}

function responses(
  route: ApiRoute,
  name: string,
  ref: (name: string, schema: z.ZodType, io: 'input' | 'output') => JsonSchemaObject,
): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [status, r] of Object.entries(route.responses)) {
    if (r.schema) {
      const schemaName = `${name}${Number(status) >= 400 || status === '503' ? `Status${status}` : 'Response'}`
      out[status] = {
        description: r.description,
        content: { 'application/json': { schema: ref(schemaName, r.schema, 'output') } },
      }
    } else if (r.contentType) {
      out[status] = {
        description: r.description,
        content: { [r.contentType]: { schema: { type: 'string' } } },
      }
    } else if (Number(status) >= 400) {
      out[status] = errorResponse(r.description)
    } else {
      out[status] = { description: r.description }
    }
  }
  const errors: Record<number, string> = {
    400: 'Invalid request (`validation_failed` with the issues, or a weft code)',
    500: 'Internal error (no stack trace)',
  }
  if (route.scope !== 'public') {
    errors[401] = 'Missing or unknown API key'
    errors[403] = `The key lacks the \`${route.scope}\` scope (\`forbidden\`), or a server policy refused: \`host_not_allowed\` (the Host header), \`origin_not_allowed\` (a browser write from another origin)`
  }
  if (route.operationId === 'startRun' || route.operationId === 'addTasks') {
    errors[403] +=
      ', `inline_workflows_disabled`, `backend_not_allowed` (`details.policy` says which rule), `cwd_not_allowed`'
  }
  if (route.params) errors[404] = 'No such run'
  if (route.method === 'post' && route.path.includes('{id}'))
    errors[409] = 'The run is not in a state that allows this'
  if (route.body) errors[413] = 'Body too large (`payload_too_large`)'
  if (route.operationId === 'startRun' || route.operationId === 'addTasks')
    errors[413] +=
      ', the workflow is larger than `maxWorkflowBytes` (`workflow_too_large`), or has more tasks than `maxTasksPerRun` (`too_many_tasks`)'
  for (const [status, description] of Object.entries(errors)) out[status] ??= errorResponse(description)
  return out
}

const errorResponse = (description: string) => ({
  description,
  content: { 'application/json': { schema: { $ref: '#/components/schemas/ApiError' } } },
})

/** Converts one schema; its `$defs` (recursive JSON values) become components of their own. */
function convert(
  name: string,
  schema: z.ZodType,
  io: 'input' | 'output',
  components: Record<string, JsonSchemaObject>,
): JsonSchemaObject {
  const js = z.toJSONSchema(schema, {
    io,
    unrepresentable: 'any',
    target: 'draft-2020-12',
  }) as JsonSchemaObject
  delete js.$schema
  const defs = (js.$defs ?? {}) as Record<string, JsonSchemaObject>
  delete js.$defs
  const rename = (def: string) => `${name}_${def}`
  const rewrite = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(rewrite)
    if (node && typeof node === 'object') {
      const o: Record<string, unknown> = {}
      for (const [k, v] of Object.entries(node)) {
        if (k === '$ref' && typeof v === 'string') {
          if (v === '#') o[k] = `#/components/schemas/${name}`
          else if (v.startsWith('#/$defs/')) o[k] = `#/components/schemas/${rename(v.slice(8))}`
          else o[k] = v
        } else o[k] = rewrite(v)
      }
      return o
    }
    return node
  }
  for (const [def, body] of Object.entries(defs)) components[rename(def)] = rewrite(body) as JsonSchemaObject
  return rewrite(js) as JsonSchemaObject
}

function tagOf(route: ApiRoute): string {
  const seg = route.path.replace('/api/v1/', '').split('/')[0] ?? ''
  return seg.replace(/[^a-z]/g, '') || 'meta'
}

function pascal(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1)
}

/** For servers: the status of an error code (re-exported for convenience). */
export { statusOfCode }
