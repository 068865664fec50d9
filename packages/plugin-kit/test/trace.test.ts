import { describe, expect, it } from 'vitest'
import { traceEnv, traceHeaders } from '../src/index.js'

const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'

describe('trace context for backends', () => {
  it('traceEnv gives TRACEPARENT/TRACESTATE for a child process, nothing without a context', () => {
    expect(traceEnv({})).toEqual({})
    expect(traceEnv({ trace: { traceparent } })).toEqual({ TRACEPARENT: traceparent })
    expect(traceEnv({ trace: { traceparent, tracestate: 'v=1' } })).toEqual({
      TRACEPARENT: traceparent,
      TRACESTATE: 'v=1',
    })
  })

  it('traceHeaders gives W3C traceparent/tracestate headers, nothing without a context', () => {
    expect(traceHeaders({})).toEqual({})
    expect(traceHeaders({ trace: { traceparent, tracestate: 'v=1' } })).toEqual({
      traceparent,
      tracestate: 'v=1',
    })
  })
})
