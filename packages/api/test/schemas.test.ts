import { describe, expect, it } from 'vitest'
import {
  ListRunsQuerySchema,
  RunEventsQuerySchema,
  StartRunRequestSchema,
  scopeAllows,
  statusOfCode,
  WsClientMessageSchema,
} from '../src/index.js'

describe('request schemas', () => {
  it('takes exactly one of workflow and workflowName', () => {
    expect(StartRunRequestSchema.safeParse({ workflowName: 'hello' }).success).toBe(true)
    expect(StartRunRequestSchema.safeParse({ workflow: 'weft: 1\nname: x\ntasks: {}' }).success).toBe(true)
    expect(StartRunRequestSchema.safeParse({}).success).toBe(false)
    expect(StartRunRequestSchema.safeParse({ workflow: {}, workflowName: 'x' }).success).toBe(false)
    expect(StartRunRequestSchema.safeParse({ workflowName: '../etc/passwd' }).success).toBe(false)
    expect(StartRunRequestSchema.safeParse({ workflowName: 'x', extra: 1 }).success).toBe(false)
  })

  it('reads comma-separated and repeated list parameters, and coerces numbers', () => {
    expect(ListRunsQuerySchema.parse({ status: 'running,paused', limit: '5' })).toEqual({
      status: ['running', 'paused'],
      limit: 5,
    })
    expect(ListRunsQuerySchema.parse({ status: ['running', 'failed'] }).status).toEqual(['running', 'failed'])
    expect(ListRunsQuerySchema.safeParse({ status: 'bogus' }).success).toBe(false)
    expect(ListRunsQuerySchema.safeParse({ limit: '0' }).success).toBe(false)
    expect(RunEventsQuerySchema.parse({ after: '7', type: 'task.*,log' })).toMatchObject({
      after: 7,
      type: ['task.*', 'log'],
    })
  })

  it('parses WebSocket messages by type and refuses unknown ones', () => {
    expect(WsClientMessageSchema.parse({ type: 'subscribe', runId: 'r1', after: 3 })).toEqual({
      type: 'subscribe',
      runId: 'r1',
      after: 3,
    })
    expect(
      WsClientMessageSchema.safeParse({ type: 'resume', runId: 'r1', token: 't', input: { ok: true } })
        .success,
    ).toBe(true)
    expect(WsClientMessageSchema.safeParse({ type: 'explode' }).success).toBe(false)
    expect(WsClientMessageSchema.safeParse({ type: 'cancel' }).success).toBe(false)
  })
})

describe('scopes and statuses', () => {
  it('orders scopes read < write < admin', () => {
    expect(scopeAllows(['admin'], 'read')).toBe(true)
    expect(scopeAllows(['write'], 'write')).toBe(true)
    expect(scopeAllows(['read'], 'write')).toBe(false)
    expect(scopeAllows([], 'read')).toBe(false)
  })

  it('maps codes to statuses, unknown codes to 500', () => {
    expect(statusOfCode('run_not_found')).toBe(404)
    expect(statusOfCode('run_not_paused')).toBe(409)
    expect(statusOfCode('queue_full')).toBe(429)
    expect(statusOfCode('validation_failed')).toBe(400)
    expect(statusOfCode('something_else')).toBe(500)
  })
})
