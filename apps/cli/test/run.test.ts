import { afterAll, describe, it } from 'vitest'
import {
  createWorkspace,
  maxConcurrency,
  readEvents,
  runCli,
  showRun,
  startOrder,
  type Workspace,
} from './helpers/cli.js'

const workspaces: Workspace[] = []
function workspace(): Workspace {
  const ws = createWorkspace()
  workspaces.push(ws)
  return ws
}
afterAll(() => {
  for (const ws of workspaces) ws.cleanup()
})

interface RunSummaryJson {
  id: string
  status: string
  taskCounts: Record<string, number>
  outputs?: Record<string, unknown>
  error?: { code: string; message: string }
  usage: { inputTokens: number; outputTokens: number }
}

async function runJson(ws: Workspace, args: string[]) {
  const r = await runCli(['run', ...args, '--json'], { cwd: ws.dir, env: ws.env })
  let summary: RunSummaryJson
  try {
    summary = JSON.parse(r.stdout) as RunSummaryJson
  } catch {
    throw new Error(`stdout is not JSON (exit ${r.code}):\n${r.stdout}\nstderr:\n${r.stderr}`)
  }
  return { ...r, summary }
}

// Each test has its own directory and store, so they run side by side (each spawn costs ~0.5 s).
describe.concurrent('weft run', () => {
  it('runs a diamond; a new process lists it and prints its gapless event log', async ({ expect }) => {
    const ws = workspace()
    const run = await runCli(['run', 'diamond.yaml'], { cwd: ws.dir, env: ws.env })
    expect(run.code, run.stderr).toBe(0)
    // Plain progress lines (stdout is not a TTY), then the summary.
    expect(run.stdout).toMatch(/\d\d:\d\d:\d\d ▶ collect started \(mock\)/)
    expect(run.stdout).toMatch(/✓ join succeeded/)
    expect(run.stdout).toMatch(/✓ diamond run_\w+ succeeded/)
    expect(run.stdout).toContain('4 succeeded (4 total)')
    expect(run.stdout).toMatch(/tokens\s+\d+/)
    const runId = /run_[0-9A-Za-z]+/.exec(run.stdout)![0]

    const list = await runCli(['runs', 'list'], { cwd: ws.dir, env: ws.env })
    expect(list.code).toBe(0)
    expect(list.stdout).toMatch(/ID\s+NAME\s+STATUS\s+CREATED\s+DURATION\s+TASKS\s+TOKENS/)
    expect(list.stdout).toMatch(new RegExp(`${runId}\\s+diamond\\s+succeeded.*4/4`))

    const events = await readEvents(ws, runId)
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1))
    expect(events[0]!.type).toBe('run.created')
    expect(events.at(-1)!.type).toBe('run.succeeded')
    for (const e of events) {
      expect(Object.keys(e)).toEqual(
        expect.arrayContaining(['seq', 'ts', 'type', 'taskId', 'attempt', 'data']),
      )
      expect(e.runId).toBe(runId)
    }
    // The diamond's shape: join starts only after both sides succeeded.
    const seqOf = (type: string, task: string) =>
      events.find((e) => e.type === type && e.taskId === task)!.seq
    expect(seqOf('task.started', 'join')).toBeGreaterThan(seqOf('task.succeeded', 'left'))
    expect(seqOf('task.started', 'join')).toBeGreaterThan(seqOf('task.succeeded', 'right'))
  })

  it('--json prints only the final run summary, and runs list --json agrees', async ({ expect }) => {
    const ws = workspace()
    const { code, summary, stdout } = await runJson(ws, ['diamond.yaml'])
    expect(code).toBe(0)
    expect(stdout.trim().startsWith('{')).toBe(true)
    expect(summary.status).toBe('succeeded')
    expect(summary.taskCounts.succeeded).toBe(4)
    expect(summary.outputs).toEqual({
      join: { left: 'mock: left side of mock: collect the facts', done: true },
    })
    expect(summary.usage.inputTokens).toBeGreaterThanOrEqual(100)

    const list = await runCli(['runs', 'list', '--json'], { cwd: ws.dir, env: ws.env })
    const runs = JSON.parse(list.stdout) as RunSummaryJson[]
    expect(runs.map((r) => [r.id, r.status])).toEqual([[summary.id, 'succeeded']])
  })

  it('starts ready tasks by priority, then declaration order, under --max-parallel 1', async ({ expect }) => {
    const ws = workspace()
    const { code, summary } = await runJson(ws, ['priority.yaml', '--max-parallel', '1'])
    expect(code).toBe(0)
    const events = await readEvents(ws, summary.id)
    expect(startOrder(events)).toEqual(['top', 'high', 'high_too', 'middle', 'low'])
    expect(maxConcurrency(events)).toBe(1)
  })

  it('never runs more tasks at once than --max-parallel', async ({ expect }) => {
    const ws = workspace()
    const { code, summary } = await runJson(ws, ['wide.yaml', '--max-parallel', '2'])
    expect(code).toBe(0)
    const events = await readEvents(ws, summary.id)
    expect(startOrder(events)).toHaveLength(8)
    expect(maxConcurrency(events)).toBe(2)
    expect(events.find((e) => e.type === 'run.started')!.data).toMatchObject({ maxParallelism: 2 })
  })

  it('retries a retryable failure and then succeeds', async ({ expect }) => {
    const ws = workspace()
    const run = await runCli(['run', 'retry.yaml'], { cwd: ws.dir, env: ws.env })
    expect(run.code, run.stderr).toBe(0)
    expect(run.stdout).toMatch(/↻ flaky retry in \d+ms \(attempt 2\/3\)/)
    expect(run.stdout).toMatch(/↻ flaky retry in \d+ms \(attempt 3\/3\)/)
    const runId = /run_[0-9A-Za-z]+/.exec(run.stdout)![0]
    const { run: summary, tasks } = await showRun(ws, runId)
    expect(summary.status).toBe('succeeded')
    expect(tasks.find((t) => t.taskId === 'flaky')).toMatchObject({ status: 'succeeded', attempt: 3 })
    expect(tasks.find((t) => t.taskId === 'after')).toMatchObject({ status: 'succeeded', attempt: 1 })
  })

  it('a permanent failure skips its dependents while the independent branch finishes; exit 1', async ({
    expect,
  }) => {
    const ws = workspace()
    const run = await runCli(['run', 'failure.yaml'], { cwd: ws.dir, env: ws.env })
    expect(run.code).toBe(1)
    expect(run.stdout).toMatch(/✗ broken failed: boom/)
    expect(run.stdout).toMatch(/⊘ after_broken skipped: needs 'broken', which failed/)
    expect(run.stdout).toMatch(/✓ after_independent succeeded/)
    expect(run.stdout).toMatch(/error: task 'broken' failed: boom/)
    const runId = /run_[0-9A-Za-z]+/.exec(run.stdout)![0]
    const { run: summary, tasks } = await showRun(ws, runId)
    expect(summary.status).toBe('failed')
    const status = Object.fromEntries(tasks.map((t) => [t.taskId, t.status]))
    expect(status).toEqual({
      broken: 'failed',
      after_broken: 'skipped',
      independent: 'succeeded',
      after_independent: 'succeeded',
    })
    expect(tasks.find((t) => t.taskId === 'broken')!.attempt).toBe(1)
  })

  it('fails a task that exceeds its timeoutMs', async ({ expect }) => {
    // The task hangs forever (`hang: true`): only its 300 ms timeout can end this run.
    const ws = workspace()
    const { code, summary } = await runJson(ws, ['task-timeout.yaml'])
    expect(code).toBe(1)
    expect(summary.status).toBe('failed')
    expect(summary.error?.message).toMatch(/stuck/)
    const { tasks } = await showRun(ws, summary.id)
    expect(tasks[0]).toMatchObject({ taskId: 'stuck', status: 'failed', error: { code: 'timeout' } })
  })

  it('fails the run when it exceeds its timeoutMs, canceling what still runs', async ({ expect }) => {
    const ws = workspace()
    const { code, summary } = await runJson(ws, ['run-timeout.yaml'])
    expect(code).toBe(1)
    expect(summary.status).toBe('failed')
    expect(summary.error).toMatchObject({ code: 'run_timeout' })
    const { tasks } = await showRun(ws, summary.id)
    const status = Object.fromEntries(tasks.map((t) => [t.taskId, t.status]))
    expect(status).toMatchObject({ stuck: 'canceled', never: 'canceled' })
  })

  it('--mode batched waits for the whole batch before starting the next', async ({ expect }) => {
    const ws = workspace()
    const { code, summary } = await runJson(ws, ['batched.yaml', '--max-parallel', '2', '--mode', 'batched'])
    expect(code).toBe(0)
    const events = await readEvents(ws, summary.id)
    const order = startOrder(events)
    expect(order).toEqual(['a', 'b', 'c', 'd', 'e'])
    const batches = [order.slice(0, 2), order.slice(2, 4), order.slice(4)]
    const seq = (type: string, task: string) => events.find((e) => e.type === type && e.taskId === task)!.seq
    for (let i = 1; i < batches.length; i++) {
      const lastEnd = Math.max(...batches[i - 1]!.map((t) => seq('task.succeeded', t)))
      for (const t of batches[i]!)
        expect(seq('task.started', t), `${t} started before batch ${i} finished`).toBeGreaterThan(lastEnd)
    }
  })

  it('passes --input values (k=v and k=@file) to the workflow, coerced to the declared types', async ({
    expect,
  }) => {
    const ws = workspace()
    const { code, summary } = await runJson(ws, [
      'inputs.yaml',
      '--input',
      'count=3',
      '--input',
      'note=@note.txt',
    ])
    expect(code).toBe(0)
    const echo = summary.outputs?.echo as { count: unknown; note: unknown }
    expect(String(echo.count)).toBe('3')
    expect(echo.note).toBe('from a file')
  })
})
