/**
 * One task without a workflow file (`weft tasks submit`, `POST /api/v1/tasks`): the task becomes a
 * one-task workflow, run like any other, so everything that works on runs (events, cancel, retries,
 * recovery, workers) works on it. Its run is tagged `weft:task` and named `task:<backend>`, so
 * `runs list` tells submissions from workflows.
 */
import type { Json, RunSpecInput, TaskInput, WorkflowInput } from '@weft/spec'
import { WeftError } from '@weft/spec'
import type { Runtime } from './api.js'

/** The tag of every run made by a task submission. */
export const TASK_SUBMISSION_TAG = 'weft:task'
/** The task's id in its run when the submission names none. */
export const DEFAULT_SUBMITTED_TASK_ID = 'task'

export interface TaskSubmission {
  backend: string
  /** The task's id in its run (default `task`). */
  task?: string
  /** Program and arguments, put in the backend's command option (e.g. the shell backend's `command`). */
  command?: string[]
  /** The backend's options (`with:` of a workflow task). */
  with?: Record<string, Json>
  prompt?: string
  input?: Json
  model?: string
  agent?: string
  /** 0 highest … 100 lowest (default 50). */
  priority?: number
  timeoutMs?: number
  /** Attempts in all, retries included (default: the backend's policy). */
  maxAttempts?: number
  /** The run's name (default `task:<backend>`). */
  name?: string
  tags?: string[]
}

/** The one-task workflow of a submission. `commandFields`: the backend's (where `command` goes). */
export function submissionWorkflow(sub: TaskSubmission, commandFields?: readonly string[]): WorkflowInput {
  const options: Record<string, Json> = { ...(sub.with ?? {}) }
  if (sub.command !== undefined) {
    const field = commandFields?.[0]
    if (!field) {
      throw new WeftError('input_invalid', `backend '${sub.backend}' takes no command`, {
        hint: 'give the task a prompt or options (with) instead, or use a backend that runs commands, such as shell',
      })
    }
    options[field] = sub.command
  }
  const task: TaskInput = {
    backend: sub.backend,
    ...(Object.keys(options).length ? { with: options } : {}),
    ...(sub.prompt !== undefined ? { prompt: sub.prompt } : {}),
    ...(sub.input !== undefined ? { input: sub.input } : {}),
    ...(sub.model !== undefined ? { model: sub.model } : {}),
    ...(sub.agent !== undefined ? { agent: sub.agent } : {}),
    ...(sub.priority !== undefined ? { priority: sub.priority } : {}),
    ...(sub.timeoutMs !== undefined ? { timeoutMs: sub.timeoutMs } : {}),
    ...(sub.maxAttempts !== undefined ? { retry: { maxAttempts: sub.maxAttempts } } : {}),
  }
  return {
    weft: 1,
    name: sub.name ?? `task:${sub.backend}`,
    tasks: { [sub.task ?? DEFAULT_SUBMITTED_TASK_ID]: task },
  }
}

/** The run spec of a submission on this runtime (its backend's command field looked up there). */
export function submissionSpec(
  runtime: Pick<Runtime, 'backends'>,
  sub: TaskSubmission,
  initiator: RunSpecInput['initiator'],
): Omit<RunSpecInput, 'workflow'> & { workflow: WorkflowInput } {
  const backend = runtime.backends.get(sub.backend)
  if (!backend) {
    throw new WeftError('input_invalid', `unknown backend '${sub.backend}'`, {
      hint: `use one of: ${[...runtime.backends.keys()].sort().join(', ') || '(none configured)'}`,
    })
  }
  return {
    workflow: submissionWorkflow(sub, backend.commandFields),
    inputs: {},
    initiator,
    tags: [TASK_SUBMISSION_TAG, ...(sub.tags ?? []).filter((t) => t !== TASK_SUBMISSION_TAG)],
  }
}
