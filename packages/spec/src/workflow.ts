import { z } from 'zod'
import { JsonSchema } from './json.js'
import { WorkflowScheduleSchema } from './schedule.js'

/**
 * The workflow document (YAML, JSON or an object in code). Objects are strict: an unknown key is
 * reported (it is almost always a typo), never silently ignored.
 */

/** Error codes `retry.on` may name (a backend's `BackendError` codes that a retry can help with). */
export const RETRY_ON_CODES = [
  'exit_code',
  'timeout',
  'rate_limit',
  'server_error',
  'bad_output',
  'max_turns',
  'failed',
  'unknown',
] as const

export const RetryPolicySchema = z.strictObject({
  /** Attempts in total, the first one included. 1 means no retry. */
  maxAttempts: z.number().int().min(1).max(100).optional(),
  /** Delay before the first retry; later retries multiply it by `factor`. */
  backoffMs: z.number().int().min(0).optional(),
  factor: z.number().min(1).max(10).optional(),
  maxBackoffMs: z.number().int().min(0).optional(),
  /** Fraction of the delay that is randomised (0 = exact, 0.2 = ±20 %). */
  jitter: z.number().min(0).max(1).optional(),
  /**
   * Failures to retry besides those the backend calls retryable: error codes (`exit_code`: any
   * non-zero exit of a command) and exit codes (`75`). Setting it without `maxAttempts` means 3.
   */
  on: z
    .array(z.union([z.enum(RETRY_ON_CODES), z.number().int().min(1).max(255)]))
    .min(1)
    .optional()
    .describe('Also retry these failures: error codes (exit_code, timeout, …) or exit codes (1-255).'),
})
export type RetryPolicy = z.infer<typeof RetryPolicySchema>
export type ResolvedRetryPolicy = Required<Omit<RetryPolicy, 'on'>> & Pick<RetryPolicy, 'on'>

export const APPROVAL_TIMEOUT_POLICIES = ['reject', 'approve', 'fail'] as const

export const ApprovalSpecSchema = z.strictObject({
  /** What the person is asked; a template (`Publish ${{ tasks.draft.output.title }}?`). */
  message: z.string().min(1).default('Approve to continue?'),
  /**
   * Tasks to run when the gate is rejected (each must need the gate); the gate's other dependents
   * are skipped then, and these are skipped when it is approved. Without it a rejection fails the gate.
   */
  onReject: z
    .union([z.string(), z.array(z.string())])
    .transform((v) => (typeof v === 'string' ? [v] : v))
    .optional()
    .describe('Task ids to run when the gate is rejected; without it a rejection fails the gate.'),
  /** How long the gate waits for an answer. */
  timeoutMs: z.number().int().positive().optional(),
  /** When nobody answered in `timeoutMs`: reject (follows `onReject`), approve, or fail the gate (default). */
  onTimeout: z
    .enum(APPROVAL_TIMEOUT_POLICIES)
    .optional()
    .describe('When nobody answered in timeoutMs: reject, approve or fail (default).'),
})
export type ApprovalSpec = z.infer<typeof ApprovalSpecSchema>

export const TaskContextSpecSchema = z.strictObject({
  /**
   * Upstream outputs to include: a task id (`plan`) or a part of its output (`plan.stops`,
   * `plan.items[0]`); default: the task's direct `needs`.
   */
  from: z.array(z.string()).optional(),
  /** Cap in tokens; default: the model's context window minus room for its output. */
  maxTokens: z.number().int().positive().optional(),
  strategy: z.enum(['keep-head', 'keep-tail', 'middle-out', 'drop-oldest-source', 'summarize']).optional(),
  /** Include the run's inputs too. */
  inputs: z.boolean().optional(),
})

export const MAP_ITEM_FAILURE_POLICIES = ['fail', 'skip', 'collect'] as const

/**
 * `map:` runs the task once per item of a list known only at run time: one child task per item,
 * `${{ item }}` and `${{ index }}` in its templates. The task's output is the array of the items'
 * outputs, in item order.
 */
export const MapSpecSchema = z.strictObject({
  /** The list: a template that renders to an array (`${{ tasks.plan.output.files }}`), or an array. */
  over: z.union([z.string(), z.array(JsonSchema)]),
  /** Items running at once at most (the run's and runtime's limits apply too). */
  maxParallel: z.number().int().positive().optional(),
  /**
   * An item that fails (after its retries): `fail` (default) skips the items not started yet and
   * fails the task; `skip` leaves it out of the output; `collect` puts `{ error }` in its place.
   */
  onItemFailure: z.enum(MAP_ITEM_FAILURE_POLICIES).optional(),
})
export type MapSpec = z.infer<typeof MapSpecSchema>

/**
 * `compensate:` undoes what a task did when its run does not succeed (seed 004's rollbacks): when
 * the run fails or is canceled, the compensations of the tasks that succeeded run one at a time, in
 * reverse order of completion. It is one more backend call; in its templates `${{ output }}` is the
 * task's own output (also `${{ tasks.<id>.output }}` of the task and of its upstream tasks, which
 * all succeeded; `${{ item }}` and `${{ index }}` in a mapped task, whose items compensate one by one).
 */
export const CompensateSpecSchema = z.strictObject({
  /** The backend of the compensation; default: the task's own. */
  backend: z
    .string()
    .min(1)
    .optional()
    .describe("The backend that runs the compensation; default: the task's own."),
  /** The backend's options; `${{ output }}` is the task's output. */
  with: z
    .record(z.string(), JsonSchema)
    .optional()
    .describe("The compensation backend's options; templates read ${{ output }}, the task's own output."),
  prompt: z.string().optional().describe('A prompt for the compensation (model backends); a template.'),
  /** How long the compensation may take; without it, it may take as long as it takes. */
  timeoutMs: z.number().int().positive().optional(),
})
export type CompensateSpec = z.infer<typeof CompensateSpecSchema>

export const TaskSpecSchema = z.strictObject({
  description: z.string().optional(),
  // The list first: large (generated) workflows list needs, and a union tries its options in turn.
  needs: z
    .union([z.array(z.string()), z.string()])
    .transform((v) => (typeof v === 'string' ? [v] : v))
    .optional()
    .describe('Tasks that must succeed first: one task id or a list of ids.'),
  backend: z
    .string()
    .min(1)
    .optional()
    .describe('The backend that runs the task (mock, shell, claude-code, openai, …).'),
  /** A named agent profile from the config file (backend + model + options). */
  agent: z
    .string()
    .min(1)
    .optional()
    .describe('A named agent profile from weft.config (backend, model, options).'),
  model: z.string().min(1).optional(),
  prompt: z
    .string()
    .optional()
    .describe('The prompt; templates such as ${{ tasks.plan.output }} are rendered.'),
  /** Structured input handed to the backend as is (templates inside strings are rendered). */
  input: JsonSchema.optional(),
  /** The backend's own options, validated by the backend's schema. */
  with: z
    .record(z.string(), JsonSchema)
    .optional()
    .describe("The backend's own options (shell: command, cwd, env, …), checked by the backend."),
  /** 0 is the highest priority, 100 the lowest. */
  priority: z
    .number()
    .int()
    .min(0)
    .max(100)
    .optional()
    .describe('0 is the highest priority, 100 the lowest; default 50.'),
  timeoutMs: z.number().int().positive().optional(),
  retry: RetryPolicySchema.optional(),
  context: TaskContextSpecSchema.optional(),
  /** A condition (`${{ tasks.check.output.ok }}`); when it is false the task is skipped. */
  when: z.string().optional().describe('A condition template; when it is false the task is skipped.'),
  /** A human-in-the-loop gate: the task waits for `resume(runId, { token, input })`. */
  approval: ApprovalSpecSchema.optional().describe(
    'A human-in-the-loop gate: the run pauses until someone approves or rejects.',
  ),
  /** This task's own limits (the run's budget applies too). */
  budget: z
    .strictObject({
      maxCostUsd: z.number().nonnegative().optional(),
      maxTokens: z.number().int().nonnegative().optional(),
    })
    .optional(),
  /** Output tokens to expect when estimating this task before it runs. */
  expectedOutputTokens: z.number().int().nonnegative().optional(),
  /** Let an input supply this task's command (see `Backend.commandFields`); refused by default. */
  allowInputCommands: z.boolean().optional(),
  /** Run the task once per item of a list (see `MapSpecSchema`). */
  map: MapSpecSchema.optional(),
  /**
   * A subworkflow: the workflow file this task runs as a linked run (`./review.yaml`, relative to
   * this workflow's file), or a workflow's name in the runtime's workflows folder (`review`).
   */
  uses: z.string().min(1).optional(),
  /** The subworkflow's inputs (templates allowed); only with `uses`. */
  inputs: z.record(z.string(), JsonSchema).optional(),
  /** What undoes this task when the run fails or is canceled after it succeeded (see `CompensateSpecSchema`). */
  compensate: CompensateSpecSchema.optional().describe(
    'Undoes the task when the run fails or is canceled after it succeeded: a backend call that reads ${{ output }}.',
  ),
})
export type TaskSpec = z.infer<typeof TaskSpecSchema>
/** A task as a user writes it (e.g. `needs` may be a single id). */
export type TaskInput = z.input<typeof TaskSpecSchema>

export const INPUT_TYPES = ['string', 'number', 'integer', 'boolean', 'object', 'array', 'json'] as const
export const InputSpecSchema = z.strictObject({
  type: z.enum(INPUT_TYPES).default('string'),
  description: z.string().optional(),
  default: JsonSchema.optional(),
  /** Inputs without a default are required unless `required: false`. */
  required: z.boolean().optional(),
})
export type InputSpec = z.infer<typeof InputSpecSchema>

export const WorkflowDefaultsSchema = z.strictObject({
  backend: z.string().min(1).optional(),
  model: z.string().min(1).optional(),
  agent: z.string().min(1).optional(),
  priority: z.number().int().min(0).max(100).optional(),
  timeoutMs: z.number().int().positive().optional(),
  retry: RetryPolicySchema.optional(),
})

export const BUDGET_POLICIES = ['fail_task', 'fail_run', 'pause'] as const
export const BudgetSpecSchema = z.strictObject({
  maxCostUsd: z.number().nonnegative().optional(),
  maxTokens: z.number().int().nonnegative().optional(),
  /** What happens when a task would go over: fail it, fail the run, or pause for a person (default). */
  onExceeded: z.enum(BUDGET_POLICIES).optional(),
})
export type BudgetSpec = z.infer<typeof BudgetSpecSchema>

export const SCHEDULING_MODES = ['eager', 'batched'] as const
export const SchedulingModeSchema = z.enum(SCHEDULING_MODES)
export type SchedulingMode = z.infer<typeof SchedulingModeSchema>

export const WorkflowSpecSchema = z.strictObject({
  weft: z.literal(1).describe('The format version: always 1.'),
  name: z.string().min(1),
  description: z.string().optional(),
  inputs: z.record(z.string(), InputSpecSchema).optional(),
  defaults: WorkflowDefaultsSchema.optional(),
  maxParallelism: z.number().int().min(1).max(10_000).optional(),
  /** `eager` fills a free slot at once; `batched` runs the ready set in barriers. */
  mode: SchedulingModeSchema.optional(),
  /** Stop the whole run at the first failed task instead of finishing independent branches. */
  failFast: z.boolean().optional(),
  /** Whole-run timeout. */
  timeoutMs: z.number().int().positive().optional(),
  budget: BudgetSpecSchema.optional(),
  /** Named run outputs as templates; default: the outputs of the tasks nothing depends on. */
  outputs: z.record(z.string(), z.string()).optional(),
  /** Let inputs supply the commands of every task (see `Backend.commandFields`); refused by default. */
  allowInputCommands: z.boolean().optional(),
  tasks: z.record(z.string(), TaskSpecSchema).describe('The tasks, by id.'),
  /** Cron schedules: a server with this file in its workflows folder starts runs on them. */
  schedules: z.array(WorkflowScheduleSchema).max(100).optional(),
})
export type WorkflowSpec = z.infer<typeof WorkflowSpecSchema>
/** What a user writes, before defaults are applied. */
export type WorkflowInput = z.input<typeof WorkflowSpecSchema>

export const TASK_ID_PATTERN = /^[A-Za-z_][A-Za-z0-9_-]{0,127}$/
export const DEFAULT_PRIORITY = 50
