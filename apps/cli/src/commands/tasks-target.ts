/**
 * Where `weft tasks …` and `weft queue …` act (the local store, or a server with `--server`), and
 * what they share: waiting for a task, printing its output, exit codes from its status.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { isTerminalTaskStatus, type TaskState, WeftError } from '@weft/core'
import { ExitCode } from '../exit-codes.js'
import type { CliIo, OutStream } from '../io.js'
import { createLocalService } from '../local-service.js'
import { createRemoteService } from '../remote-service.js'
import type { RunService } from '../service.js'
import { createLocalTaskService, createRemoteTaskService, type TaskService } from '../task-service.js'
import {
  requireRun,
  resolveServer,
  serverClient,
  storeArgs,
  type TargetOptions,
  withRuntime,
} from './target.js'

/** `weft tasks wait` ran out of `--timeout` before the task ended (as `timeout(1)` does). */
export const WAIT_TIMED_OUT = 124

/** Opens where the command acts, for one command, and always closes it. */
export async function withTaskService<T>(
  io: CliIo,
  options: TargetOptions,
  fn: (runs: RunService, tasks: TaskService) => Promise<T>,
): Promise<T> {
  const server = resolveServer(options, io.env)
  if (!server) {
    return withRuntime(io, options.store ? { store: options.store } : {}, (cli) =>
      fn(createLocalService(cli.runtime, storeArgs(cli.store)), createLocalTaskService(cli.runtime, io.env)),
    )
  }
  const { client, serverArgs } = serverClient(server, io.env)
  const runs = createRemoteService(client, serverArgs)
  try {
    return await fn(runs, createRemoteTaskService(client))
  } finally {
    await runs.close()
  }
}

/** One task of a run; `run_not_found` / `task_not_found` (exit 2) when either is unknown. */
export async function requireTask(runs: RunService, runId: string, taskId: string): Promise<TaskState> {
  const tasks = await runs.tasks(runId)
  const task = tasks.find((t) => t.taskId === taskId)
  if (task) return task
  await requireRun(runs, runId)
  throw new WeftError('task_not_found', `run ${runId} has no task '${taskId}'`, {
    hint: `its tasks: ${tasks.map((t) => t.taskId).join(', ') || '(none)'}`,
  })
}

/**
 * Polls the task until it ended; undefined when `timeoutMs` passed first. Polling works the same
 * on every store and on a server, whichever process runs the task.
 */
export async function waitForTask(
  runs: RunService,
  runId: string,
  taskId: string,
  timeoutMs?: number,
): Promise<TaskState | undefined> {
  const deadline = timeoutMs === undefined ? undefined : Date.now() + timeoutMs
  for (let delay = 50; ; delay = Math.min(delay * 2, 500)) {
    const task = await requireTask(runs, runId, taskId)
    if (isTerminalTaskStatus(task.status)) return task
    if (deadline !== undefined && Date.now() >= deadline) return undefined
    await sleep(deadline === undefined ? delay : Math.max(0, Math.min(delay, deadline - Date.now())))
  }
}

/** 0 for a task that succeeded, 1 for one that failed, was canceled or skipped. */
export function exitCodeOf(task: TaskState): number {
  return task.status === 'succeeded' ? ExitCode.ok : ExitCode.failed
}

/** Writes in pieces, waiting for `drain` where the stream has it, so a large output streams out. */
async function writeAll(out: OutStream, text: string): Promise<void> {
  const PIECE = 64 * 1024
  const drainable = out as OutStream & { once?: (event: 'drain', fn: () => void) => void }
  for (let i = 0; i < text.length; i += PIECE) {
    if (!out.write(text.slice(i, i + PIECE)) && drainable.once)
      await new Promise<void>((resolve) => drainable.once!('drain', resolve))
  }
}

/**
 * A task's whole output: text as it is (a newline added when it has none), other JSON pretty, or
 * with `json` the raw JSON value on one line. A task without output prints its text, if any.
 */
export async function printOutput(io: CliIo, task: TaskState, json = false): Promise<void> {
  const value = task.output ?? (task.text !== undefined ? task.text : null)
  if (json) {
    await writeAll(io.stdout, `${JSON.stringify(value)}\n`)
    return
  }
  if (value === null && task.output === undefined) return
  const text = typeof value === 'string' ? value : JSON.stringify(value, null, 2)
  await writeAll(io.stdout, text.endsWith('\n') ? text : `${text}\n`)
}

/** Why a task did not succeed, on stderr. */
export function printFailure(io: CliIo, task: TaskState): void {
  const why = task.error ? `${task.error.code}: ${task.error.message}` : (task.reason ?? '')
  io.stderr.write(`task ${task.taskId} of run ${task.runId} ${task.status}${why ? `: ${why}` : ''}\n`)
}
