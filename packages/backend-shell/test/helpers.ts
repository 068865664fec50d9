import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  type Backend,
  type BackendEvent,
  createRuntime,
  type Runtime,
  type TaskContext,
  type TaskResult,
  type WeftEvent,
  type WorkflowInput,
} from '@weft/core'
import { afterAll, afterEach, beforeAll } from 'vitest'
import { createShellBackend } from '../src/index.js'

export { delay as sleep, eventually, isAlive, processState } from '@weft/testing'

export function readPids(file: string): number[] {
  try {
    return readFileSync(file, 'utf8').split(/\s+/).filter(Boolean).map(Number)
  } catch {
    return []
  }
}

export function tempDir(): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'weft-shell-'))
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) }
}

let n = 0

/** Calls `execute` the way the runtime does, with a context of our own. */
export function start(backend: Backend, options: Record<string, unknown>, workDir = process.cwd()) {
  const events: (BackendEvent & { at: number })[] = []
  const controller = new AbortController()
  const noop = () => {}
  const ctx: TaskContext = {
    runId: `run_test_${++n}`,
    taskId: 'cmd',
    attempt: 1,
    signal: controller.signal,
    emit: (e) => events.push({ ...e, at: Date.now() }),
    log: { debug: noop, info: noop, warn: noop, error: noop },
    workDir,
  }
  const result: Promise<TaskResult> = backend.execute(
    { runId: ctx.runId, taskId: 'cmd', attempt: 1, options: options as never, upstream: {} },
    ctx,
  )
  // Tests look at rejections themselves; keep the unhandled-rejection tracker quiet meanwhile.
  result.catch(() => {})
  return { ctx, events, controller, result }
}

/**
 * What a test file that runs shell tasks through the runtime sets up: the shell backend, a temp
 * work dir for the file (`tmp.dir`), and a runtime per test, closed after it. `runWorkflow` runs
 * tasks to the end and returns the summary, the tasks by id and the run's events.
 */
export function useShellRuntime() {
  const shell = createShellBackend({ killGraceMs: 500 })
  let files: ReturnType<typeof tempDir> | undefined
  let runtime: Runtime | undefined
  beforeAll(() => {
    files = tempDir()
  })
  afterAll(() => files?.cleanup())
  afterEach(async () => {
    await runtime?.close()
    runtime = undefined
  })
  const tmp = {
    get dir(): string {
      if (!files) throw new Error('the temp dir is made before the tests (beforeAll)')
      return files.dir
    },
  }

  function newRuntime(): Runtime {
    runtime = createRuntime({
      backends: [shell],
      workDir: tmp.dir,
      reporter: { warn: () => {} },
      cancelGraceMs: 10_000,
    })
    return runtime
  }

  async function runWorkflow(
    tasks: WorkflowInput['tasks'],
    extra: { workflow?: Partial<WorkflowInput>; inputs?: Record<string, string> } = {},
  ) {
    const rt = newRuntime()
    const started = await rt.start({
      workflow: { weft: 1, name: 'shell-test', defaults: { backend: 'shell' }, ...extra.workflow, tasks },
      ...(extra.inputs ? { inputs: extra.inputs } : {}),
    })
    const summary = await rt.wait(started.id)
    const list = await rt.tasks(started.id)
    const events: WeftEvent[] = []
    for await (const e of rt.events(started.id)) events.push(e)
    return { summary, tasks: Object.fromEntries(list.map((t) => [t.taskId, t])), events }
  }

  return { shell, tmp, newRuntime, runWorkflow }
}
