/**
 * One compensation's backend call, as compensation.ts makes it: the backend, the request with its
 * templates rendered (`${{ output }}` is the task's own output; a map item also has `item` and
 * `index`), the options checked by the backend's schema, and a context whose events are not kept.
 */
import type { Backend, BackendLogger, Json, TaskContext, TaskRequest, Usage } from '@weft/spec'
import { BackendError } from '@weft/spec'
import type { PlannedTask } from '../runtime/plan.js'
import type { Scope } from '../template/expression.js'
import { renderDeep, renderTemplate, TemplateError } from '../template/template.js'
import type { LiveRun } from './live-run.js'

/** A map item's plan, or (when items were not planned in this process) its mapped task's. */
export function plannedOf(run: LiveRun, taskId: string): PlannedTask | undefined {
  const planned = run.plan.tasks.get(taskId)
  if (planned) return planned
  const parent = run.state.tasks.get(taskId)?.parent
  return parent === undefined ? undefined : run.plan.tasks.get(parent)
}

/** The compensation's request: its templates rendered with `output` (and a map item's `item`, `index`). */
export function prepareCompensation(
  run: LiveRun,
  taskId: string,
  attempt: number,
  backendId: string,
  planned: PlannedTask | undefined,
): { backend: Backend; request: TaskRequest } {
  const spec = planned?.compensate
  if (!spec) throw new BackendError('failed', `task '${taskId}' has no compensation in this run's workflow`)
  const backend = run.deps.backends.get(backendId)
  if (!backend) {
    throw new BackendError('not_installed', `backend '${backendId}' is not available in this runtime`, {
      retryable: false,
      hint: 'install its package and list it under `plugins` in weft.config',
    })
  }
  const t = run.task(taskId)
  const scope: Scope = {
    ...run.scope(),
    output: t.output ?? null,
    ...(t.parent !== undefined ? { item: t.item ?? null, index: t.index } : {}),
  }
  let options: Record<string, Json>
  let prompt: string | undefined
  try {
    options = renderDeep(spec.with ?? {}, scope) as Record<string, Json>
    if (spec.prompt !== undefined) {
      const rendered = renderTemplate(spec.prompt, scope)
      prompt = typeof rendered === 'string' ? rendered : JSON.stringify(rendered)
    }
  } catch (err) {
    const message = err instanceof TemplateError ? err.message : String(err)
    throw new BackendError('template', `cannot render the compensation: ${message}`, { retryable: false })
  }
  if (backend.optionsSchema) {
    const parsed = backend.optionsSchema.safeParse(options)
    if (!parsed.success) {
      const detail = parsed.error.issues
        .map((i) => `compensate.with.${i.path.join('.')}: ${i.message}`)
        .join('; ')
      throw new BackendError('bad_options', `bad options for backend '${backend.id}': ${detail}`, {
        retryable: false,
      })
    }
    options = parsed.data as Record<string, Json>
  }
  const upstream = {
    [taskId]: { output: t.output ?? null, ...(t.text !== undefined ? { text: t.text } : {}) },
  }
  const request: TaskRequest = {
    runId: run.id,
    taskId,
    attempt,
    options,
    upstream,
    memory: { run: run.memory.run },
  }
  if (prompt !== undefined) request.prompt = prompt
  if (spec.timeoutMs !== undefined) request.timeoutMs = spec.timeoutMs
  return { backend, request }
}

/** What a compensation's backend reports while it runs is not kept, but for its usage: its outcome is. */
export function compensationContext(
  run: LiveRun,
  request: TaskRequest,
  signal: AbortSignal,
  onUsage: (usage: Partial<Usage> & { model?: string }) => void,
): TaskContext {
  return {
    runId: request.runId,
    taskId: request.taskId,
    attempt: request.attempt,
    signal,
    // Only usage is kept (it counts toward the run's totals and budget like the task's own).
    emit: (event) => {
      if (event.type !== 'usage') return
      const { type: _type, ...usage } = event
      onUsage(usage)
    },
    log: SILENT,
    workDir: run.deps.workDir,
  }
}

const SILENT: BackendLogger = { debug() {}, info() {}, warn() {}, error() {} }
