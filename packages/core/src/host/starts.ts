/**
 * Validation of what starts or grows a run: a workflow against this runtime's backends and agents,
 * tasks added to a live run against its graph, and the spec of a rerun. Nothing is written until
 * the whole thing is valid; then `launch` commits the run, takes its lease and starts it.
 */
import type {
  Diagnostic,
  DiagnosticsMode,
  Json,
  RunSpec,
  RunSpecInput,
  TaskSpec,
  WorkflowInput,
} from '@weft/spec'
import { RunSpecSchema, TaskSpecSchema, WeftError } from '@weft/spec'
import { newRunId } from '../runtime/ids.js'
import { type ReusedOutput, RunExecution } from '../runtime/run-execution.js'
import { descendantsOf } from '../workflow/graph.js'
import { formatPath, type ValidationResult, validateWorkflow } from '../workflow/validate.js'
import type { StartOptions } from './api.js'
import { type Host, notFound } from './context.js'

export type ValidateOptions = StartOptions & {
  inputs?: Record<string, Json>
  backend?: string
  diagnostics?: DiagnosticsMode
}

export function validate(host: Host, workflow: unknown, opts: ValidateOptions = {}): ValidationResult {
  const mode = opts.diagnostics ?? host.options.diagnostics
  const result = validateWorkflow(workflow, {
    file: opts.file,
    locate: opts.locate,
    backends: host.backendInfo,
    agents: host.options.agents ?? {},
    backendOverride: opts.backend,
    inputs: opts.inputs ?? {},
    mode,
  })
  const budget = (workflow as { budget?: unknown } | undefined)?.budget
  if (result.ok && budget !== undefined && !host.options.cost) {
    const d: Diagnostic = {
      level: mode === 'strict' ? 'error' : 'warning',
      code: 'budget_not_enforced',
      message:
        'the workflow sets a budget, but this runtime has no cost model: only backends that estimate their own usage are checked before they run, and USD limits only see costs backends report',
      path: 'budget',
      ...(opts.file ? { file: opts.file } : {}),
      hint: 'budgets are enforced once a cost model (@weft/cost) is configured',
    }
    result.diagnostics.push(d)
    if (d.level === 'error') result.ok = false
  }
  return result
}

const RUN_SPEC_FIELDS = RunSpecSchema.omit({ workflow: true, inputs: true })

/** The run spec of a start request, validated; throws `workflow_invalid` or `input_invalid`. */
export function validatedSpec(
  host: Host,
  input: RunSpecInput | (Omit<RunSpecInput, 'workflow'> & { workflow: WorkflowInput }),
  opts: StartOptions,
): { spec: RunSpec; diagnostics: Diagnostic[] } {
  const raw = input as RunSpecInput
  const result = validate(host, raw.workflow, {
    ...opts,
    inputs: (raw.inputs ?? {}) as Record<string, Json>,
    backend: raw.backend,
    diagnostics: raw.diagnostics,
  })
  if (!result.ok) {
    const errors = result.diagnostics.filter((d) => d.level === 'error')
    throw new WeftError(
      'workflow_invalid',
      `the workflow${opts.file ? ` ${opts.file}` : ''} is invalid: ${errors.length} problem(s); first: ${errors[0]?.message}`,
      {
        diagnostics: result.diagnostics,
        hint: 'every problem is in the diagnostics',
        next: [{ action: 'validate', ...(opts.file ? { file: opts.file } : {}) }],
      },
    )
  }
  // The workflow and inputs were just validated (and the workflow parsed): parsing them again with
  // the whole RunSpecSchema doubled the synchronous work of a large start (it blocks the event loop).
  const { workflow: _w, inputs: _i, ...rest } = raw
  const fields = RUN_SPEC_FIELDS.safeParse(rest)
  const parsed = fields.success
    ? {
        success: true as const,
        data: { ...fields.data, workflow: result.workflow!, inputs: result.inputs ?? {} },
      }
    : fields
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!
    throw new WeftError(
      'input_invalid',
      `bad run spec at ${formatPath(issue.path as (string | number)[]) || '(root)'}: ${issue.message}`,
    )
  }
  const spec = { ...parsed.data, ...(opts.file && !parsed.data.source ? { source: opts.file } : {}) }
  return { spec, diagnostics: result.diagnostics }
}

/** Commits a new run, takes its lease and starts it. */
export async function launch(
  host: Host,
  spec: RunSpec,
  diagnostics: Diagnostic[],
  reuse?: Map<string, ReusedOutput>,
  detach = false,
) {
  const id = newRunId()
  // The lease first (a lease may exist before its run): a process that recovers unowned runs
  // (`weft worker`) must never find this run recorded and unowned. Detached: no lease, so the
  // first such process starts it.
  if (!detach) await host.ownership.claimNew(id)
  let exec: RunExecution
  try {
    exec = await RunExecution.create(host.deps, id, spec, diagnostics, reuse)
  } catch (err) {
    if (!detach) await host.ownership.release(id)
    throw err
  }
  if (detach) return structuredClone(exec.summary)
  host.registry.add(exec)
  await exec.begin()
  return structuredClone(exec.summary)
}

/** Tasks to add to a live run, parsed and checked inside its graph; throws `tasks_invalid`. */
export function validatedNewTasks(host: Host, exec: RunExecution, tasks: Record<string, unknown>) {
  const runId = exec.id
  const parsed: Record<string, TaskSpec> = {}
  const diagnostics: Diagnostic[] = []
  for (const [id, task] of Object.entries(tasks ?? {})) {
    if (exec.tasks.has(id)) {
      diagnostics.push({
        level: 'error',
        code: 'duplicate_task',
        message: `run ${runId} already has a task '${id}'`,
        path: `tasks.${id}`,
        hint: 'choose another id',
      })
      continue
    }
    const r = TaskSpecSchema.safeParse(task)
    if (r.success) parsed[id] = r.data
  }
  if (Object.keys(tasks ?? {}).length === 0) {
    diagnostics.push({
      level: 'error',
      code: 'no_tasks',
      message: 'no tasks to add',
      hint: 'pass a mapping of task ids to tasks',
    })
  }
  // Validate the new tasks inside the live graph: needs, cycles, backends and templates.
  const merged = {
    ...exec.spec.workflow,
    tasks: { ...exec.spec.workflow.tasks, ...(tasks as Record<string, unknown>) },
  }
  const result = validateWorkflow(merged, {
    backends: host.backendInfo,
    agents: host.options.agents ?? {},
    backendOverride: exec.spec.backend,
  })
  diagnostics.push(...result.diagnostics.filter((d) => d.level === 'error'))
  if (diagnostics.length > 0) {
    throw new WeftError(
      'tasks_invalid',
      `cannot add these tasks to run ${runId}: ${diagnostics[0]!.message}`,
      {
        diagnostics,
        hint: diagnostics[0]!.hint,
      },
    )
  }
  return parsed
}

/** A rerun's spec and the outputs it reuses: every succeeded task not `from` or downstream of it. */
export async function rerunPlan(
  host: Host,
  runId: string,
  opts: { from: string; initiator?: RunSpecInput['initiator'] },
): Promise<{ spec: RunSpec; reuse: Map<string, ReusedOutput> }> {
  const [spec, tasks] = await Promise.all([host.store.runs.getSpec(runId), host.store.tasks.list(runId)])
  if (!spec) throw notFound(runId)
  if (!Object.hasOwn(spec.workflow.tasks, opts.from)) {
    throw new WeftError('task_not_found', `run ${runId} has no task '${opts.from}'`, {
      hint: `its tasks: ${Object.keys(spec.workflow.tasks).join(', ')}`,
    })
  }
  const graph = new Map(Object.entries(spec.workflow.tasks).map(([id, t]) => [id, t.needs ?? []]))
  const again = descendantsOf(graph, opts.from).add(opts.from)
  const reuse = new Map<string, ReusedOutput>()
  for (const t of tasks) {
    if (again.has(t.taskId) || t.status !== 'succeeded') continue
    reuse.set(t.taskId, {
      fromRunId: runId,
      output: t.output,
      ...(t.text !== undefined ? { text: t.text } : {}),
    })
  }
  return {
    spec: { ...spec, initiator: opts.initiator ?? spec.initiator, rerunOf: { runId, from: opts.from } },
    reuse,
  }
}
