import type { ApprovalSpec, CompensateSpec, Json, RunSpec } from '@weft/spec'
import {
  DEFAULT_PRIORITY,
  type MapSpec,
  type RetryPolicy,
  type SchedulingMode,
  type TaskSpec,
} from '@weft/spec'

/** A task with the workflow's defaults and the run's overrides applied. */
export interface PlannedTask {
  id: string
  order: number
  needs: string[]
  priority: number
  backend?: string
  model?: string
  prompt?: string
  input?: Json
  with: Record<string, Json>
  timeoutMs?: number
  retry?: RetryPolicy
  workflowRetry?: RetryPolicy
  when?: string
  approval?: ApprovalSpec
  contextFrom?: string[]
  /** The task's `context:` settings; absent when it declares none. */
  context?: NonNullable<TaskSpec['context']>
  budget?: TaskSpec['budget']
  expectedOutputTokens?: number
  /** The agent profile it runs as, whose memory it reads and writes. */
  agent?: string
  /** A mapped task: it runs as one item task per item of its list. */
  map?: MapSpec
  /** A map item: its mapped task, position and item (`${{ item }}`, `${{ index }}`). */
  mapItem?: { parent: string; index: number; item: Json }
  /** What undoes the task when the run does not succeed (compensation.ts); map items inherit it. */
  compensate?: CompensateSpec
}

export interface RunPlan {
  tasks: Map<string, PlannedTask>
  maxParallelism: number
  mode: SchedulingMode
  failFast: boolean
  timeoutMs?: number
}

export interface AgentProfile {
  backend: string
  model?: string
  with?: Record<string, Json>
}

/** The options of a task that has none: one shared object (never changed: options are rendered into a new one). */
const NO_OPTIONS: Record<string, Json> = Object.freeze({}) as Record<string, Json>

export function planTask(
  id: string,
  task: TaskSpec,
  order: number,
  spec: RunSpec,
  agents: Record<string, AgentProfile> = {},
): PlannedTask {
  const defaults = spec.workflow.defaults ?? {}
  if (task.uses !== undefined) return planSubworkflow(id, task, order, defaults)
  const agentName = task.agent ?? defaults.agent
  // Own entries only: a name like `toString` is not an agent.
  const agent = agentName && Object.hasOwn(agents, agentName) ? agents[agentName] : undefined
  // Only the fields a task has are set, one at a time: a plan is kept for each task for the whole
  // run, and a literal with every field (most of them undefined) took twice the memory.
  const planned: PlannedTask = {
    id,
    order,
    needs: task.needs ?? [],
    priority: task.priority ?? defaults.priority ?? DEFAULT_PRIORITY,
    backend: task.approval ? undefined : (spec.backend ?? task.backend ?? agent?.backend ?? defaults.backend),
    with: agent?.with || task.with ? { ...agent?.with, ...task.with } : NO_OPTIONS,
  }
  const model = task.model ?? agent?.model ?? defaults.model
  if (model !== undefined) planned.model = model
  if (task.prompt !== undefined) planned.prompt = task.prompt
  if (task.input !== undefined) planned.input = task.input
  const timeoutMs = task.timeoutMs ?? defaults.timeoutMs
  if (timeoutMs !== undefined) planned.timeoutMs = timeoutMs
  if (task.retry !== undefined) planned.retry = task.retry
  if (defaults.retry !== undefined) planned.workflowRetry = defaults.retry
  if (task.when !== undefined) planned.when = task.when
  if (task.approval !== undefined) planned.approval = task.approval
  if (task.context?.from !== undefined) planned.contextFrom = task.context.from
  if (task.context) planned.context = task.context
  if (task.budget) planned.budget = task.budget
  if (task.expectedOutputTokens !== undefined) planned.expectedOutputTokens = task.expectedOutputTokens
  if (agentName) planned.agent = agentName
  if (task.map) planned.map = task.map
  if (task.compensate) planned.compensate = task.compensate
  return planned
}

/** The backend that runs subworkflow tasks (`uses:`), built into every runtime. */
export const SUBWORKFLOW_BACKEND = 'workflow'

/**
 * A subworkflow task runs on the built-in `workflow` backend with `uses` and `inputs` as its
 * options (templates in `inputs` are rendered like any options). A run's backend override (a dry
 * run on `mock`) is not applied to it: the subworkflow's run takes the override instead.
 */
function planSubworkflow(
  id: string,
  task: TaskSpec,
  order: number,
  defaults: NonNullable<RunSpec['workflow']['defaults']>,
): PlannedTask {
  return {
    id,
    order,
    needs: task.needs ?? [],
    priority: task.priority ?? defaults.priority ?? DEFAULT_PRIORITY,
    backend: SUBWORKFLOW_BACKEND,
    with: { uses: task.uses!, ...(task.inputs ? { inputs: task.inputs } : {}) },
    timeoutMs: task.timeoutMs ?? defaults.timeoutMs,
    retry: task.retry,
    workflowRetry: defaults.retry,
    when: task.when,
    ...(task.map ? { map: task.map } : {}),
    ...(task.compensate ? { compensate: task.compensate } : {}),
  }
}

/** The id of a mapped task's item task: `review[3]`. */
export function mapItemId(parent: string, index: number): string {
  return `${parent}[${index}]`
}

/** A map item runs as its mapped task would, once, with its item; it needs nothing more. */
export function planMapItem(parent: PlannedTask, index: number, item: Json, order: number): PlannedTask {
  const { map: _map, when: _when, ...rest } = parent
  return {
    ...rest,
    id: mapItemId(parent.id, index),
    order,
    needs: [],
    mapItem: { parent: parent.id, index, item },
  }
}

export function planRun(
  spec: RunSpec,
  agents?: Record<string, AgentProfile>,
  defaultParallelism = 4,
): RunPlan {
  const tasks = new Map<string, PlannedTask>()
  // A counter and a key loop: Object.entries(...).entries() made two arrays per task.
  const all = spec.workflow.tasks
  let i = 0
  for (const id in all) {
    if (Object.hasOwn(all, id)) tasks.set(id, planTask(id, all[id]!, i++, spec, agents))
  }
  return {
    tasks,
    maxParallelism: spec.maxParallelism ?? spec.workflow.maxParallelism ?? defaultParallelism,
    mode: spec.mode ?? spec.workflow.mode ?? 'eager',
    failFast: spec.failFast ?? spec.workflow.failFast ?? false,
    timeoutMs: spec.timeoutMs ?? spec.workflow.timeoutMs,
  }
}
