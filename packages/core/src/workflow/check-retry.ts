import { RETRY_ON_CODES, type RetryPolicy } from '@weft/spec'
import type { AddDiagnostic } from './check-templates.js'
import type { DocPath } from './load.js'
import type { ValidateOptions } from './validate.js'

const isObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v)

export interface RetryCheckContext {
  raw: Record<string, unknown>
  /** The value of each task, in the order of `taskIds`. */
  tasks: unknown[]
  taskIds: string[]
  options: ValidateOptions
  add: AddDiagnostic
}

/**
 * Warnings for retry policies that can never apply: a gate that never runs, a policy whose
 * attempts are 1, a `retry.on` naming a failure the task's backend never reports. They are
 * warnings (the run would work, it just never retries); `--strict` makes them errors.
 */
export function checkRetries(ctx: RetryCheckContext): void {
  const { raw, tasks, taskIds, options, add } = ctx
  const defaults = isObject(raw.defaults) ? raw.defaults : {}
  const workflowRetry = isObject(defaults.retry) ? (defaults.retry as RetryPolicy) : undefined
  for (let i = 0; i < taskIds.length; i++) {
    const id = taskIds[i]!
    const task = tasks[i]
    if (!isObject(task)) continue
    const own = isObject(task.retry) ? (task.retry as RetryPolicy) : undefined
    if (task.approval !== undefined) {
      if (own)
        add({
          level: 'warning',
          code: 'retry_never_applies',
          message: `task '${id}' is an approval gate: it runs nothing, so its retry never applies`,
          path: ['tasks', id, 'retry'],
          hint: 'move the retry to the task that does the work',
        })
      continue
    }
    if (!own && !workflowRetry) continue
    // Where the policy comes from, for the diagnostic's path.
    const at = (field: keyof RetryPolicy): DocPath =>
      own?.[field] !== undefined ? ['tasks', id, 'retry', field] : ['defaults', 'retry', field]
    const on = own?.on ?? workflowRetry?.on
    const maxAttempts = own?.maxAttempts ?? workflowRetry?.maxAttempts
    // `retry: { maxAttempts: 1 }` alone turns retries off for a task, which is fine; with a backoff
    // or an `on` list beside it, the author expected retries that will not happen.
    const tuned = own !== undefined && Object.keys(own).some((k) => k !== 'maxAttempts')
    if (maxAttempts === 1 && (on !== undefined || tuned)) {
      add({
        level: 'warning',
        code: 'retry_never_applies',
        message: `task '${id}' has maxAttempts: 1, so its retry policy never applies`,
        path: at('maxAttempts'),
        hint: 'maxAttempts counts the first attempt too: set it to 2 or more to retry',
      })
      continue
    }
    // A list the schema refuses is reported there.
    if (!Array.isArray(on) || !on.every(validOn)) continue
    const backendId =
      options.backendOverride ?? task.backend ?? agentBackend(task, defaults, options) ?? defaults.backend
    const codes = typeof backendId === 'string' ? options.backends?.get(backendId)?.errorCodes : undefined
    if (!codes) continue
    const possible = new Set<string>([...codes, ...RUNTIME_FAILURES])
    const never = on.filter((c) =>
      typeof c === 'number' ? !possible.has('exit_code') : typeof c === 'string' && !possible.has(c),
    )
    if (never.length === 0) continue
    add({
      level: 'warning',
      code: 'retry_never_applies',
      message: `task '${id}' retries on ${never.map((c) => (typeof c === 'number' ? `exit code ${c}` : `'${c}'`)).join(', ')}, which backend '${backendId}' never reports`,
      path: at('on'),
      hint: `a '${backendId}' task fails with: ${[...possible].join(', ')}`,
    })
  }
}

const validOn = (c: unknown) =>
  (RETRY_ON_CODES as readonly unknown[]).includes(c) ||
  (typeof c === 'number' && Number.isInteger(c) && c >= 1 && c <= 255)

/** Failures the runtime itself records for any backend: a task timeout, an output it cannot keep. */
const RUNTIME_FAILURES = ['timeout', 'bad_output']

function agentBackend(
  task: Record<string, unknown>,
  defaults: Record<string, unknown>,
  options: ValidateOptions,
): unknown {
  const name = task.agent ?? defaults.agent
  const agents = options.agents ?? {}
  return typeof name === 'string' && Object.hasOwn(agents, name) ? agents[name]!.backend : undefined
}
