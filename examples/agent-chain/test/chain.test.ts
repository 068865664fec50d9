/**
 * The agent-chain example end to end: the three REAL agent CLIs, pinned, run by weft against
 * fake model servers on 127.0.0.1 (nothing leaves the machine), with a fresh HOME.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { plugin as claudeCode } from '@weft/backend-claude-code'
import { plugin as codex } from '@weft/backend-codex'
import { plugin as geminiCli } from '@weft/backend-gemini-cli'
import { createContextPipeline } from '@weft/context'
import { createRuntime, loadWorkflowFile, type WeftEvent, type WorkflowInput } from '@weft/core'
import { createCostModel } from '@weft/cost'
import { type FakeModelServer, startFakeModelServer } from '@weft/testing'
import { afterAll, beforeAll, expect, it } from 'vitest'

const here = dirname(fileURLToPath(import.meta.url))
let server: FakeModelServer
let root: string
const saved = { ...process.env }

beforeAll(async () => {
  server = await startFakeModelServer({
    respond: (req) => {
      if (req.format === 'anthropic')
        return {
          text: 'Plan: 1. parse --version 2. print the version.',
          usage: { inputTokens: 900, outputTokens: 60 },
        }
      if (req.format === 'openai-responses')
        return {
          text: 'Implemented the --version flag in src/cli.ts.',
          usage: { inputTokens: 1200, outputTokens: 80, reasoningTokens: 40 },
        }
      if (req.format === 'gemini') return { text: 'LGTM', usage: { inputTokens: 700, outputTokens: 5 } }
      return undefined
    },
  })
  root = mkdtempSync(join(tmpdir(), 'weft-chain-'))
  const home = join(root, 'home')
  mkdirSync(join(home, '.gemini'), { recursive: true })
  writeFileSync(
    join(home, '.gemini', 'settings.json'),
    JSON.stringify({
      security: { auth: { selectedType: 'gemini-api-key' } },
      general: {
        maxAttempts: 1,
        retryFetchErrors: false,
        enableAutoUpdate: false,
        enableAutoUpdateNotification: false,
      },
      privacy: { usageStatisticsEnabled: false },
    }),
  )
  // The CLIs read these from the environment weft gives them (its own).
  Object.assign(process.env, {
    HOME: home,
    TMPDIR: join(root),
    ANTHROPIC_BASE_URL: server.url,
    ANTHROPIC_API_KEY: 'test-key',
    CLAUDE_CODE_MAX_RETRIES: '0',
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    DISABLE_TELEMETRY: '1',
    DISABLE_AUTOUPDATER: '1',
    DISABLE_ERROR_REPORTING: '1',
    OPENAI_API_KEY: 'test-key',
    GOOGLE_GEMINI_BASE_URL: server.url,
    GEMINI_API_KEY: 'test-key',
    GEMINI_CLI_TRUST_WORKSPACE: 'true',
  })
})

afterAll(async () => {
  for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k]
  Object.assign(process.env, saved)
  await server.close()
  rmSync(root, { recursive: true, force: true })
})

it('Claude Code plans, Codex implements, Gemini reviews: messages, usage and cost for each', async () => {
  const doc = await loadWorkflowFile(join(here, '..', 'workflow.yaml'))
  expect(doc.diagnostics).toEqual([])
  const work = join(root, 'work')
  mkdirSync(work)
  const runtime = createRuntime({
    plugins: [claudeCode, codex, geminiCli],
    cost: createCostModel(),
    context: createContextPipeline(),
    workDir: work,
  })
  const run = await runtime.start({
    workflow: doc.value as WorkflowInput,
    inputs: { openaiBaseUrl: `${server.url}/v1` },
  })
  const done = await runtime.wait(run.id)
  const events: WeftEvent[] = []
  for await (const e of runtime.events(run.id)) events.push(e)
  const problems = events.filter((e) => e.type === 'task.failed').map((e) => JSON.stringify(e.data))
  expect(done.status, problems.join('\n')).toBe('succeeded')

  const tasks = Object.fromEntries((await runtime.tasks(run.id)).map((t) => [t.taskId, t]))
  expect(tasks.plan!.output).toBe('Plan: 1. parse --version 2. print the version.')
  expect(tasks.implement!.output).toBe('Implemented the --version flag in src/cli.ts.')
  expect(tasks.review!.output).toBe('LGTM')
  for (const id of ['plan', 'implement', 'review']) {
    expect(
      events.some((e) => e.type === 'agent.message' && e.taskId === id),
      `${id} message`,
    ).toBe(true)
    const usage = events.filter((e) => e.type === 'usage.recorded' && e.taskId === id)
    expect(usage.length, `${id} usage`).toBeGreaterThan(0)
    expect(
      usage.every((e) => e.type === 'usage.recorded' && typeof e.data.costUsd === 'number'),
      `${id} cost`,
    ).toBe(true)
  }
  // Each CLI talked to its own wire format on the loopback server, and the plan reached Codex.
  const formats = new Set(server.requests.map((r) => r.format).filter(Boolean))
  expect([...formats].sort()).toEqual(['anthropic', 'gemini', 'openai-responses'])
  const codexRequest = server.requests.find((r) => r.format === 'openai-responses')!
  expect(JSON.stringify(codexRequest.body)).toContain('parse --version')
  expect(done.usage.costUsd).toBeGreaterThan(0)
  await runtime.close()
}, 120_000)
