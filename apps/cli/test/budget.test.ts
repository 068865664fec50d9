import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createWorkspace, readEvents, runCli, showRun, type Workspace } from './helpers/cli.js'

// claude-sonnet-4-5: $3 in, $15 out, $0.30 cache read per million tokens (packages/cost catalog).
const RESEARCH = (4000 * 3 + 1500 * 15) / 1e6 // 0.0345
const DRAFT = (3000 * 3 + 1200 * 15 + 2000 * 0.3) / 1e6 // 0.0276
const POLISH = (2500 * 3 + 800 * 15) / 1e6 // 0.0195

describe('budgets and costs through the CLI', () => {
  let ws: Workspace
  beforeAll(() => {
    ws = createWorkspace()
  })
  afterAll(() => ws.cleanup())

  it('pauses before the task that would exceed the budget; raising it finishes the run; costs per task and in total', async () => {
    const first = await runCli(['run', 'budget.yaml'], { cwd: ws.dir, env: ws.env })
    expect(first.code, first.stderr).toBe(0)
    const [, runId] = first.stdout.match(/run (run_\w+) created/) ?? []
    expect(first.stdout).toContain(
      "paused: task 'draft' (estimated $0.0276) would take the run to $0.0621, over its budget of $0.0500",
    )
    expect(first.stdout).toContain(`weft runs resume ${runId} --budget-usd <new limit>`)
    const paused = await showRun(ws, runId!)
    expect(paused.run.status).toBe('paused')
    expect(paused.tasks.map((t) => [t.taskId, t.status, t.attempt])).toEqual([
      ['research', 'succeeded', 1],
      ['draft', 'queued', 0],
      ['polish', 'pending', 0],
    ])
    const exceeded = (await readEvents(ws, runId!)).filter((e) => e.type === 'budget.exceeded')
    expect(exceeded).toHaveLength(1)
    expect(exceeded[0]).toMatchObject({
      taskId: 'draft',
      data: { scope: 'run', limit: 'cost', max: 0.05, policy: 'pause' },
    })

    const resumed = await runCli(['runs', 'resume', runId!, '--budget-usd', '0.10', '--json'], {
      cwd: ws.dir,
      env: ws.env,
    })
    expect(resumed.code, resumed.stderr).toBe(0)
    const done = JSON.parse(resumed.stdout) as {
      status: string
      usage: { costUsd: number }
      estimated: { costUsd: number }
    }
    expect(done.status).toBe('succeeded')
    expect(done.usage.costUsd).toBeCloseTo(RESEARCH + DRAFT + POLISH, 10)
    expect(done.estimated.costUsd).toBeCloseTo(RESEARCH + DRAFT + POLISH, 10)

    const show = await runCli(['runs', 'show', runId!], { cwd: ws.dir, env: ws.env })
    expect(show.stdout).toMatch(/cost\s+\$0\.0816/)
    expect(show.stdout).toMatch(/estimated 15,000 tokens, used 15,000 \(\+0\.0 %\)/)
    expect(show.stdout).toMatch(/research\s+succeeded\s+1\s+\S+\s+5,500\s+\$0\.0345/)
    expect(show.stdout).toMatch(/draft\s+succeeded\s+1\s+\S+\s+6,200\s+\$0\.0276/)
  }, 60_000)

  it('fails the task (and skips its dependents) with --on-budget fail_task', async () => {
    const r = await runCli(['run', 'budget.yaml', '--on-budget', 'fail_task', '--json'], {
      cwd: ws.dir,
      env: ws.env,
    })
    expect(r.code).toBe(1)
    const run = JSON.parse(r.stdout) as { id: string; status: string }
    const { tasks } = await showRun(ws, run.id)
    expect(tasks.map((t) => [t.taskId, t.status])).toEqual([
      ['research', 'succeeded'],
      ['draft', 'failed'],
      ['polish', 'skipped'],
    ])
    expect(tasks[1]!.error).toMatchObject({ code: 'budget' })
  }, 60_000)

  it('prices a model added in weft.config.yaml, without code', async () => {
    writeFileSync(
      join(ws.dir, 'weft.config.yaml'),
      'models:\n  - { id: acme-small, provider: acme, inputPerMTok: 1, outputPerMTok: 2, contextWindow: 8000, maxOutputTokens: 1000 }\n',
    )
    writeFileSync(
      join(ws.dir, 'acme.yaml'),
      'weft: 1\nname: acme\ndefaults: { backend: mock, model: acme-small }\ntasks:\n  a: { prompt: hi, with: { usage: { inputTokens: 1000, outputTokens: 500 } } }\n',
    )
    try {
      const r = await runCli(['run', 'acme.yaml', '--json'], { cwd: ws.dir, env: ws.env })
      expect(r.code, r.stderr).toBe(0)
      const run = JSON.parse(r.stdout) as {
        usage: { costUsd: number }
        usageByModel: Record<string, { costUsd: number }>
      }
      expect(run.usage.costUsd).toBeCloseTo((1000 * 1 + 500 * 2) / 1e6, 12)
      expect(run.usageByModel['acme-small']!.costUsd).toBeCloseTo(0.002, 12)
    } finally {
      writeFileSync(join(ws.dir, 'weft.config.yaml'), '')
    }
  }, 60_000)

  it('compacts a fan-in over its cap under every strategy, with the events to prove it', async () => {
    const base = readFileSync(join(ws.dir, 'context.yaml'), 'utf8')
    for (const strategy of ['keep-head', 'keep-tail', 'middle-out', 'drop-oldest-source', 'summarize']) {
      const file = `context-${strategy}.yaml`
      writeFileSync(join(ws.dir, file), base.replace('strategy: middle-out', `strategy: ${strategy}`))
      const r = await runCli(['run', file, '--json'], { cwd: ws.dir, env: ws.env })
      expect(r.code, `${strategy}: ${r.stderr}`).toBe(0)
      const run = JSON.parse(r.stdout) as { id: string }
      const events = await readEvents(ws, run.id)
      const built = events.find((e) => e.type === 'context.built' && e.taskId === 'write')!
      const compacted = events.find((e) => e.type === 'context.compacted' && e.taskId === 'write')!
      expect(compacted.data, strategy).toMatchObject({ strategy })
      expect(compacted.data.beforeTokens as number, strategy).toBeGreaterThan(120)
      expect(compacted.data.afterTokens as number, strategy).toBeLessThanOrEqual(120)
      expect(built.data.tokens as number, strategy).toBeLessThanOrEqual(120)
      if (strategy === 'summarize') {
        expect(events.some((e) => e.type === 'usage.recorded' && e.data.purpose === 'summarize')).toBe(true)
      }
      if (strategy === 'drop-oldest-source')
        expect((compacted.data.dropped as string[]).length).toBeGreaterThan(0)
    }
  }, 120_000)
})
