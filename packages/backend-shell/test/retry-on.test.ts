import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { WorkflowInput } from '@weft/core'
import { describe, expect, it } from 'vitest'
import { start, useShellRuntime } from './helpers.js'

/** `retry: { on: [...] }`: shell tasks that exit non-zero opt in to retries (issue 15, part 8). */

const { shell, tmp, runWorkflow } = useShellRuntime()

/** Runs the tasks to the end; `retries` are the run's `task.retry_scheduled` events. */
async function run(tasks: WorkflowInput['tasks']) {
  const r = await runWorkflow(tasks)
  return { ...r, retries: r.events.filter((e) => e.type === 'task.retry_scheduled') }
}

/** A command that fails with `code` until its `n`th run, counting runs in `file`. */
function flaky(file: string, n: number, code: number): string[] {
  return [
    'sh',
    '-c',
    `c=$(cat "$0" 2>/dev/null || echo 0); c=$((c+1)); echo $c > "$0"; [ $c -ge ${n} ] || exit ${code}; echo ok`,
    file,
  ]
}

describe('retry.on for shell commands', () => {
  it('retries a command that exits non-zero when the task opts in, 3 attempts by default', async () => {
    const counter = join(tmp.dir, 'flaky-1')
    const r = await run({
      t: { with: { command: flaky(counter, 3, 1) }, retry: { on: ['exit_code'], backoffMs: 0 } },
    })
    expect(r.summary.status).toBe('succeeded')
    expect(r.tasks.t).toMatchObject({ status: 'succeeded', attempt: 3, output: 'ok' })
    expect(readFileSync(counter, 'utf8').trim()).toBe('3')
    expect(r.retries.map((e) => e.data)).toMatchObject([
      { nextAttempt: 2, maxAttempts: 3, error: { code: 'exit_code', exitCode: 1 } },
      { nextAttempt: 3, maxAttempts: 3 },
    ])
  })

  it('without the opt-in an exit code still fails at once (exit codes are not retryable by default)', async () => {
    const counter = join(tmp.dir, 'flaky-2')
    const r = await run({
      t: { with: { command: flaky(counter, 2, 1) }, retry: { maxAttempts: 3, backoffMs: 0 } },
    })
    expect(r.summary.status).toBe('failed')
    expect(r.tasks.t).toMatchObject({ attempt: 1, error: { code: 'exit_code', exitCode: 1 } })
    expect(r.retries).toEqual([])
  })

  it('retries only the exit codes listed; the attempts stop at maxAttempts', async () => {
    const listed = join(tmp.dir, 'flaky-3')
    const other = join(tmp.dir, 'flaky-4')
    const r = await run({
      temp: { with: { command: flaky(listed, 10, 75) }, retry: { on: [75], maxAttempts: 2, backoffMs: 0 } },
      hard: { with: { command: flaky(other, 2, 1) }, retry: { on: [75], maxAttempts: 2, backoffMs: 0 } },
    })
    expect(r.tasks.temp).toMatchObject({ status: 'failed', attempt: 2, error: { exitCode: 75 } })
    expect(r.tasks.hard).toMatchObject({ status: 'failed', attempt: 1, error: { exitCode: 1 } })
  })

  it('names a long script by its tail in the error message; the whole command stays in the details', async () => {
    const lines = Array.from({ length: 200 }, (_, i) => `echo step ${i} > /dev/null`)
    const script = [...lines, 'echo "disk is full" >&2', 'exit 7'].join('\n')
    const err = await start(shell, { command: ['sh', '-c', script] }).result.catch((e: unknown) => e)
    const e = err as { message: string; details: { command: string[] } }
    expect(e.message).toMatch(
      /^'sh … echo step 199 > \/dev\/null; echo "disk is full" >&2; exit 7' exited with code 7: disk is full$/,
    )
    expect(e.message).not.toContain('step 0 ')
    expect(e.message.length).toBeLessThan(300)
    expect(e.details.command).toEqual(['sh', '-c', script])
    // A short command is quoted whole, as before.
    const short = await start(shell, { command: ['sh', '-c', 'exit 2'] }).result.catch((x: unknown) => x)
    expect((short as Error).message).toBe("'sh -c exit 2' exited with code 2")
  })
})
