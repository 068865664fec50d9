import SwaggerParser from '@apidevtools/swagger-parser'
import { describe, expect, it } from 'vitest'
import { API_ROUTES, buildOpenApiDocument } from '../src/index.js'

describe('the OpenAPI document', () => {
  const doc = buildOpenApiDocument({ version: '0.1.0' })

  it('is a valid OpenAPI 3.1 document (every $ref resolves)', async () => {
    const copy = structuredClone(doc)
    await expect(SwaggerParser.validate(copy as never)).resolves.toBeTruthy()
  })

  it('covers every route with its method, and nothing else', () => {
    const paths = doc.paths as Record<string, Record<string, unknown>>
    const listed = Object.entries(paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m} ${p}`))
    expect(listed.sort()).toEqual(API_ROUTES.map((r) => `${r.method} ${r.path}`).sort())
  })

  it('documents request bodies, path and query parameters, and the error shape', () => {
    const paths = doc.paths as Record<string, Record<string, Record<string, unknown>>>
    const start = paths['/api/v1/runs']!.post!
    expect(start.requestBody).toMatchObject({ required: true })
    const schemas = (doc.components as { schemas: Record<string, Record<string, unknown>> }).schemas
    const body = schemas.StartRunRequest!
    expect(Object.keys(body.properties as object)).toEqual(
      expect.arrayContaining(['workflow', 'workflowName', 'inputs', 'tags', 'budget']),
    )
    const list = paths['/api/v1/runs']!.get!
    expect((list.parameters as { name: string }[]).map((p) => p.name)).toEqual(
      expect.arrayContaining(['status', 'tag', 'since', 'limit', 'cursor']),
    )
    const getRun = paths['/api/v1/runs/{id}']!.get!
    expect(getRun.parameters).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: 'id', in: 'path' })]),
    )
    expect(Object.keys(getRun.responses as object)).toEqual(
      expect.arrayContaining(['200', '401', '403', '404']),
    )
    expect(schemas.ApiError).toBeDefined()
  })
})

describe('policy and limit codes', () => {
  it('are error codes with their status, and the document names them on POST /runs', async () => {
    const { POLICY_ERROR_CODES, statusOfCode, ApiErrorCodeSchema } = await import('../src/index.js')
    for (const code of POLICY_ERROR_CODES) {
      expect(statusOfCode(code)).toBe(403)
      expect(ApiErrorCodeSchema.safeParse(code).success).toBe(true)
    }
    expect(statusOfCode('workflow_too_large')).toBe(413)
    expect(statusOfCode('too_many_tasks')).toBe(413)
    const doc = buildOpenApiDocument({ version: '0.1.0' })
    const post = (
      doc.paths as Record<string, Record<string, { responses: Record<string, { description: string }> }>>
    )['/api/v1/runs']!.post!
    expect(post.responses['403']!.description).toContain('inline_workflows_disabled')
    expect(post.responses['413']!.description).toContain('too_many_tasks')
  })
})
