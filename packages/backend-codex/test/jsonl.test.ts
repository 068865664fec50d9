import type { BackendEvent } from '@weft/core'
import { describe, expect, it } from 'vitest'
import { CodexJsonl, errorFromTurnFailure } from '../src/index.js'

function parse(lines: unknown[], options: ConstructorParameters<typeof CodexJsonl>[1] = {}) {
  const events: BackendEvent[] = []
  const parser = new CodexJsonl((e) => events.push(e), options)
  for (const line of lines) parser.onLine(typeof line === 'string' ? line : JSON.stringify(line))
  return { parser, events }
}

describe('codex JSONL parser', () => {
  it('maps failed commands, file changes and MCP calls to tool events', () => {
    const { events } = parse([
      {
        type: 'item.completed',
        item: {
          id: 'c1',
          type: 'command_execution',
          command: 'false',
          aggregated_output: '',
          exit_code: 1,
          status: 'failed',
        },
      },
      {
        type: 'item.started',
        item: {
          id: 'f1',
          type: 'file_change',
          changes: [{ path: 'a.txt', kind: 'add' }],
          status: 'in_progress',
        },
      },
      {
        type: 'item.completed',
        item: {
          id: 'f1',
          type: 'file_change',
          changes: [{ path: 'a.txt', kind: 'add' }],
          status: 'completed',
        },
      },
      {
        type: 'item.completed',
        item: {
          id: 'm1',
          type: 'mcp_tool_call',
          server: 'docs',
          tool: 'search',
          arguments: { q: 'x' },
          error: { message: 'boom' },
          status: 'failed',
        },
      },
    ])
    expect(events).toEqual([
      { type: 'tool_start', toolId: 'c1', name: 'shell', input: { command: 'false' } },
      {
        type: 'tool_end',
        toolId: 'c1',
        name: 'shell',
        output: { exitCode: 1, output: '' },
        error: 'exit code 1',
      },
      {
        type: 'tool_start',
        toolId: 'f1',
        name: 'file_change',
        input: { changes: [{ path: 'a.txt', kind: 'add' }] },
      },
      { type: 'tool_end', toolId: 'f1', name: 'file_change', output: [{ path: 'a.txt', kind: 'add' }] },
      { type: 'tool_start', toolId: 'm1', name: 'docs.search', input: { q: 'x' } },
      { type: 'tool_end', toolId: 'm1', name: 'docs.search', error: 'boom' },
    ])
  })

  it('logs error lines and non-JSON output, keeps raw lines when asked, and takes usage deltas', () => {
    const { parser, events } = parse(
      [
        'not json',
        { type: 'error', message: 'Reconnecting... 1/5' },
        {
          type: 'turn.completed',
          usage: {
            input_tokens: 150,
            cached_input_tokens: 50,
            output_tokens: 30,
            reasoning_output_tokens: 10,
          },
        },
      ],
      {
        logRaw: true,
        previous: {
          input_tokens: 100,
          cached_input_tokens: 40,
          output_tokens: 20,
          reasoning_output_tokens: 5,
        },
      },
    )
    expect(events.filter((e) => e.type === 'log' && e.level === 'debug')).toHaveLength(3)
    expect(events).toContainEqual({ type: 'log', level: 'warn', message: 'codex: Reconnecting... 1/5' })
    expect(parser.result().usage).toEqual({
      inputTokens: 40,
      outputTokens: 5,
      cacheReadTokens: 10,
      cacheWriteTokens: 0,
      reasoningTokens: 5,
    })
  })

  it('fails with bad_output when the turn never completed, and throws a turn failure', () => {
    expect(() => parse([{ type: 'thread.started', thread_id: 't' }]).parser.result()).toThrow(
      expect.objectContaining({ code: 'bad_output' }),
    )
    const failed = parse([
      { type: 'turn.failed', error: { message: 'unexpected status 401 Unauthorized: no' } },
    ])
    expect(() => failed.parser.result()).toThrow(expect.objectContaining({ code: 'auth' }))
  })

  it('maps turn failure messages to codes', () => {
    const cases: [string, string, boolean][] = [
      [
        'unexpected status 401 Unauthorized: bad key, url: http://127.0.0.1:50012/v1/responses',
        'auth',
        false,
      ],
      ['exceeded retry limit, last status: 429 Too Many Requests', 'rate_limit', true],
      ['We’re currently experiencing high demand, which may cause temporary errors.', 'server_error', true],
      [
        'unexpected status 503 Service Unavailable, url: http://127.0.0.1:401/v1/responses',
        'server_error',
        true,
      ],
      ['stream disconnected before completion', 'server_error', true],
      ['model not supported', 'failed', false],
    ]
    for (const [message, code, retryable] of cases)
      expect(errorFromTurnFailure(message), message).toMatchObject({ code, retryable })
  })
})
