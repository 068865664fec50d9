/** The two HTTP backends in one workflow against the fake servers: messages, tool calls, usage and cost. */
import { createAnthropicBackend } from '@weft/backend-anthropic'
import { createOpenAIBackend } from '@weft/backend-openai'
import { createRuntime, type WeftEvent } from '@weft/core'
import { createCostModel } from '@weft/cost'
import { type FakeModelServer, startFakeModelServer } from '@weft/testing'
import { afterAll, beforeAll, expect, it } from 'vitest'

let server: FakeModelServer
beforeAll(async () => {
  server = await startFakeModelServer({
    respond: (req) =>
      req.format === 'anthropic'
        ? {
            text: 'Three risks.',
            toolCall: { name: 'lookup', input: { q: 'risks' } },
            usage: { inputTokens: 1000, outputTokens: 100, cacheReadTokens: 500 },
          }
        : req.format === 'openai-chat'
          ? { text: 'A short summary.', usage: { inputTokens: 800, outputTokens: 50, reasoningTokens: 20 } }
          : undefined,
  })
})
afterAll(() => server.close())

it('prices what the Anthropic and OpenAI backends report, and shows their messages and tool calls', async () => {
  const runtime = createRuntime({
    backends: [
      createAnthropicBackend({ baseUrl: server.url, apiKey: 'test-key' }),
      createOpenAIBackend({ baseUrl: `${server.url}/v1`, apiKey: 'test-key' }),
    ],
    cost: createCostModel(),
  })
  const run = await runtime.start({
    workflow: {
      weft: 1,
      name: 'http',
      tasks: {
        risks: { backend: 'anthropic', model: 'claude-sonnet-4-5', prompt: 'List the risks.' },
        summary: {
          backend: 'openai',
          model: 'gpt-5-mini',
          needs: ['risks'],
          prompt: 'Summarize: ${{ tasks.risks.output }}',
        },
      },
    },
  })
  const done = await runtime.wait(run.id)
  expect(done.status).toBe('succeeded')
  const events: WeftEvent[] = []
  for await (const e of runtime.events(run.id)) events.push(e)
  expect(
    events.some((e) => e.type === 'tool.started' && e.taskId === 'risks' && e.data.name === 'lookup'),
  ).toBe(true)
  expect(events.some((e) => e.type === 'agent.message' && e.taskId === 'summary')).toBe(true)
  const usage = Object.fromEntries(
    events.filter((e) => e.type === 'usage.recorded').map((e) => [e.taskId, e.data]),
  )
  // claude-sonnet-4-5: $3 in, $15 out, $0.30 cache read per million tokens.
  expect(usage.risks).toMatchObject({ inputTokens: 1000, outputTokens: 100, cacheReadTokens: 500 })
  expect(usage.risks!.costUsd).toBeCloseTo((1000 * 3 + 100 * 15 + 500 * 0.3) / 1e6, 12)
  expect(usage.summary).toMatchObject({ inputTokens: 800, outputTokens: 50, reasoningTokens: 20 })
  expect(typeof usage.summary!.costUsd).toBe('number')
  await runtime.close()
})
