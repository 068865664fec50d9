import type { Json, RunSummary, TaskSubmission } from '@weft/core'
import { type Command, InvalidArgumentError, Option } from 'commander'
import type { CliContext } from '../context.js'
import { DETACHED_CHILD_FLAG, reportStarted, spawnDetachedRun } from '../detach.js'
import { durationArg } from '../duration.js'
import { ExitCode } from '../exit-codes.js'
import { parseInputPairs, parseJsonInput } from '../inputs.js'
import type { CliIo } from '../io.js'
import type { TaskService } from '../task-service.js'
import { collect, positiveInt, serverOption, storeOption } from './flags.js'
import { exitCodeOf, printFailure, printOutput, waitForTask, withTaskService } from './tasks-target.js'

export interface TasksSubmitOptions {
  backend: string
  with?: string[]
  prompt?: string
  input?: string
  model?: string
  agent?: string
  taskId?: string
  name?: string
  tag?: string[]
  priority?: number
  timeout?: number
  maxAttempts?: number
  wait?: boolean
  json?: boolean
  store?: string
  server?: string
  detachedChild?: boolean
}

export function configureTasksSubmitCommand(command: Command, ctx: CliContext): void {
  command
    .requiredOption('-b, --backend <id>', 'the backend that runs the task (`weft backends` lists them)')
    .option(
      '-w, --with <key=value>',
      'a backend option (repeatable; a JSON value is parsed: n=3, ok=true, o=\'{"a":1}\')',
      collect,
      [],
    )
    .option('-p, --prompt <text>', 'the prompt (for model and agent backends; @file reads it from a file)')
    .option('--input <json>', "the task's input, as JSON (or @file)")
    .option('--model <name>', 'the model, for backends that take one')
    .option('--agent <name>', 'an agent profile of weft.config')
    .option('--task-id <id>', "the task's id in its run", 'task')
    .option('--name <name>', "the run's name (default task:<backend>)")
    .option('--tag <tag>', 'a tag of the run (repeatable; every submission is tagged weft:task)', collect, [])
    .option('--priority <n>', '0 (first) … 100 (last); default 50', priorityArg)
    .option('--timeout <duration>', 'fail the attempt after this long (30s, 5m, 1h)', durationArg)
    .option('--max-attempts <n>', 'attempts in all, retries included', positiveInt)
    .option('--wait', 'wait for the task and print its output (exit 0 when it succeeded, 1 otherwise)')
    .option('--json', 'print JSON: { runId, taskId, status, run } (with --wait: the task’s whole state)')
    .addOption(storeOption())
    .addOption(serverOption())
    .addOption(new Option(DETACHED_CHILD_FLAG).hideHelp())
    .allowExcessArguments(true)
    .action(async (command: string[], opts: TasksSubmitOptions) => {
      ctx.exitCode = await tasksSubmitCommand(command, opts, ctx.io)
    })
}

function priorityArg(value: string): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n < 0 || n > 100)
    throw new InvalidArgumentError('expected a whole number from 0 (first) to 100 (last).')
  return n
}

/** `--with k=v`: the value as JSON when it parses as JSON, else as the text it is. */
function withOptions(pairs: string[], cwd: string): Record<string, Json> {
  const raw = parseInputPairs(pairs, cwd)
  const out: Record<string, Json> = {}
  for (const [k, v] of Object.entries(raw)) {
    try {
      out[k] = JSON.parse(v as string) as Json
    } catch {
      out[k] = v
    }
  }
  return out
}

export function submissionOf(command: string[], opts: TasksSubmitOptions, cwd: string): TaskSubmission {
  const options = withOptions(opts.with ?? [], cwd)
  return {
    backend: opts.backend,
    ...(command.length ? { command } : {}),
    ...(Object.keys(options).length ? { with: options } : {}),
    ...(opts.prompt !== undefined ? { prompt: parseInputPairs([`p=${opts.prompt}`], cwd).p as string } : {}),
    ...(opts.input !== undefined ? { input: parseJsonInput(opts.input, cwd) } : {}),
    ...(opts.model !== undefined ? { model: opts.model } : {}),
    ...(opts.agent !== undefined ? { agent: opts.agent } : {}),
    ...(opts.taskId !== undefined ? { task: opts.taskId } : {}),
    ...(opts.name !== undefined ? { name: opts.name } : {}),
    ...(opts.tag?.length ? { tags: opts.tag } : {}),
    ...(opts.priority !== undefined ? { priority: opts.priority } : {}),
    ...(opts.timeout !== undefined ? { timeoutMs: opts.timeout } : {}),
    ...(opts.maxAttempts !== undefined ? { maxAttempts: opts.maxAttempts } : {}),
  }
}

/**
 * Submits one task. Without `--wait` it prints `<run-id> <task-id>` (so `weft tasks wait $(weft
 * tasks submit …)` works) and the task runs on: in a background process on the local store, on
 * the server with `--server`. With `--wait` it runs (or follows) the task and prints its output.
 */
export async function tasksSubmitCommand(
  command: string[],
  opts: TasksSubmitOptions,
  io: CliIo,
  argv: string[] = process.argv.slice(2),
): Promise<number> {
  const submission = submissionOf(command, opts, io.cwd)
  const taskId = submission.task ?? 'task'
  return withTaskService(io, opts, async (runs, tasks) => {
    const printIds = (run: RunSummary, log?: string) => {
      if (opts.json) {
        io.stdout.write(
          `${JSON.stringify({ runId: run.id, taskId, status: run.status, ...(log ? { log } : {}), run }, null, 2)}\n`,
        )
        return
      }
      const extra = runs.extraArgs ? ` ${runs.extraArgs}` : ''
      io.stdout.write(`${run.id} ${taskId}\n`)
      io.stderr.write(
        [
          `task ${taskId} of run ${run.id} submitted${log ? `; its process logs to ${log}` : ''}`,
          `  wait for it:  weft tasks wait ${run.id} ${taskId}${extra}`,
          `  its output:   weft tasks output ${run.id} ${taskId}${extra}`,
          `  cancel it:    weft tasks cancel ${run.id} ${taskId}${extra}`,
          '',
        ].join('\n'),
      )
    }
    if (!opts.wait && !opts.detachedChild) {
      // The local store: a background process owns the run (as `weft run --detach` does).
      if (runs.kind === 'local') {
        const code = await spawnDetachedRun(io, argv, { print: printIds })
        if (code === ExitCode.ok) await notePausedQueue(io, tasks)
        return code
      }
      printIds(await tasks.submit(submission))
      await notePausedQueue(io, tasks)
      return ExitCode.ok
    }
    const run = await tasks.submit(submission)
    if (opts.detachedChild) reportStarted(run)
    else await notePausedQueue(io, tasks)
    // Locally this process runs the task (wait returns once the run settles); remotely it polls.
    if (runs.kind === 'local') await runs.wait(run.id)
    const task = await waitForTask(runs, run.id, taskId)
    if (!task) return ExitCode.failed
    if (opts.detachedChild) {
      io.stdout.write(`task ${taskId} of run ${run.id} ${task.status}\n`)
      return exitCodeOf(task)
    }
    if (opts.json) io.stdout.write(`${JSON.stringify(task, null, 2)}\n`)
    else if (task.status === 'succeeded') await printOutput(io, task)
    if (task.status !== 'succeeded') printFailure(io, task)
    return exitCodeOf(task)
  })
}

/** A task submitted while the queue is paused waits: say so, or it looks stuck. */
async function notePausedQueue(io: CliIo, tasks: TaskService): Promise<void> {
  const q = await tasks.queue().catch(() => undefined)
  if (!q?.paused) return
  io.stderr.write(
    `note: the queue is paused${q.reason ? ` (${q.reason})` : ''}${q.by ? ` by ${q.by}` : ''}: the task starts after \`weft queue resume\`\n`,
  )
}
