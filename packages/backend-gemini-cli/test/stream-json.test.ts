import type { BackendEvent } from '@weft/core'
import { describe, expect, it } from 'vitest'
import { StreamJsonParser } from '../src/index.js'

function parse(lines: unknown[]) {
  const events: BackendEvent[] = []
  const parser = new StreamJsonParser((e) => events.push(e))
  for (const line of lines) parser.onLine(typeof line === 'string' ? line : JSON.stringify(line))
  return { events, parser }
}

describe('stream-json parser', () => {
  it('reports a failed tool with its error, error lines as warnings and stray text as debug logs', () => {
    const { events, parser } = parse([
      { type: 'init', session_id: 's1', model: 'm' },
      'not json at all',
      { type: 'tool_use', tool_name: 'run_shell_command', tool_id: 't1', parameters: { command: 'ls' } },
      { type: 'tool_result', tool_id: 't1', status: 'error', error: { type: 'x', message: 'denied' } },
      { type: 'error', severity: 'warning', message: 'loop detected' },
      { type: 'message', role: 'assistant', content: 'Done.' },
      { type: 'result', status: 'success', stats: { input_tokens: 5, output_tokens: 2, cached: 0 } },
    ])
    expect(events).toEqual([
      { type: 'session', sessionId: 's1' },
      { type: 'log', level: 'debug', message: 'not json at all', stream: 'stdout' },
      { type: 'tool_start', toolId: 't1', name: 'run_shell_command', input: { command: 'ls' } },
      { type: 'tool_end', toolId: 't1', name: 'run_shell_command', error: 'denied' },
      { type: 'log', level: 'warn', message: 'gemini: warning: loop detected' },
      { type: 'message', role: 'assistant', text: 'Done.' },
      { type: 'usage', inputTokens: 5, outputTokens: 2, cacheReadTokens: 0, model: 'm' },
    ])
    expect(parser.result()).toEqual({
      output: 'Done.',
      text: 'Done.',
      sessionId: 's1',
      usage: { inputTokens: 5, outputTokens: 2, cacheReadTokens: 0, model: 'm' },
    })
  })

  it('keeps the error of an error result', () => {
    const { parser } = parse([{ type: 'result', status: 'error', error: { type: 'api', message: 'boom' } }])
    expect(parser.finished).toBe(true)
    expect(parser.resultError).toEqual({ type: 'api', message: 'boom' })
  })
})
