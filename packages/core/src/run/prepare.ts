/**
 * Everything that happens to a task before its attempt starts: the per-task pipeline of
 * DESIGN.md up to the budget pre-check — build the context from upstream outputs, compact it to
 * the cap, render the templates, validate the backend's options, and estimate tokens and cost.
 */
import type {
  Backend,
  CompactionStrategy,
  ContextPipeline,
  ContextRequest,
  ContextResult,
  CostModel,
  Json,
  JsonObject,
  TaskRequest,
  TaskState,
} from '@weft/spec'
import { BackendError, emptyUsage, type Usage } from '@weft/spec'
import type { PlannedTask } from '../runtime/plan.js'
import type { Scope } from '../template/expression.js'
import { renderDeep, renderTemplate, TemplateError } from '../template/template.js'
import { checkOptions, isStatic } from '../workflow/backend-options.js'
import type { Estimate } from './budget.js'

/** Cap for a context when the task sets none and the model's window is unknown. */
export const DEFAULT_CONTEXT_TOKENS = 100_000
export const DEFAULT_STRATEGY: CompactionStrategy = 'middle-out'

export interface PreparedTask {
  backend: Backend
  request: TaskRequest
  estimate?: Estimate
  context?: ContextResult & { cap: number }
}

export interface PrepareInput {
  runId: string
  /** The attempt's number (1 for the first). */
  attempt: number
  task: TaskState
  planned: PlannedTask
  backends: ReadonlyMap<string, Backend>
  cost?: CostModel
  context?: ContextPipeline
  tasks: ReadonlyMap<string, TaskState>
  /** The run's graph, whose needs are read by order (see `upstream` in preparedWith). */
  graph?: { needsIndexed(t: TaskState): boolean; needAt(t: TaskState, i: number): TaskState | undefined }
  inputs: JsonObject
  /** The template scope (inputs, tasks, run, memory); `context` is added here. */
  scope: Scope
  memory: { run: JsonObject; agent?: JsonObject }
  summarize(text: string, maxTokens: number): Promise<string>
}

/** Whether preparing the task awaits something (a context to build), or is done at once. */
export function needsContext(p: Pick<PrepareInput, 'planned' | 'context'>): boolean {
  return p.planned.context !== undefined && p.context !== undefined
}

export async function prepareTask(p: PrepareInput): Promise<PreparedTask> {
  const backend = backendOf(p)
  return preparedWith(p, backend, needsContext(p) ? await buildContext(p) : undefined)
}

/** A task that needs no context (`needsContext` is false), prepared without awaiting anything. */
export function prepareTaskNow(p: PrepareInput): PreparedTask {
  return preparedWith(p, backendOf(p), undefined)
}

function backendOf(p: PrepareInput): Backend {
  const planned = p.planned
  const backend = planned.backend ? p.backends.get(planned.backend) : undefined
  if (!backend) {
    throw new BackendError('not_installed', `backend '${planned.backend}' is not available in this runtime`, {
      retryable: false,
      hint: 'install its package and list it under `plugins` in weft.config',
    })
  }
  return backend
}

async function buildContext(p: PrepareInput): Promise<PreparedTask['context']> {
  const { planned, task } = p
  let context: PreparedTask['context']
  const settings = planned.context!
  const pipeline = p.context!
  {
    const model = planned.model ? p.cost?.model(planned.model) : undefined
    const cap =
      settings.maxTokens ?? (model ? model.contextWindow - model.maxOutputTokens : DEFAULT_CONTEXT_TOKENS)
    const upstream: ContextRequest['upstream'] = taskKeyed()
    for (const t of p.tasks.values()) {
      upstream[t.taskId] = {
        status: t.status,
        ...(t.output !== undefined ? { output: t.output } : {}),
        ...(t.text !== undefined ? { text: t.text } : {}),
        ...(t.completedAt ? { completedAt: t.completedAt } : {}),
      }
    }
    try {
      const result = await pipeline.build(
        {
          runId: p.runId,
          taskId: task.taskId,
          ...(planned.model ? { model: planned.model } : {}),
          maxTokens: Math.max(1, cap),
          strategy: settings.strategy ?? DEFAULT_STRATEGY,
          from: planned.contextFrom ?? planned.needs,
          upstream,
          ...(settings.inputs ? { inputs: p.inputs } : {}),
        },
        { countTokens: (text) => countTokens(p.cost, text, planned.model), summarize: p.summarize },
      )
      context = { ...result, cap }
    } catch (err) {
      if (err instanceof BackendError) throw err
      // A bad `from` path or an impossible cap is a mistake in the workflow: no retry helps.
      throw new BackendError('template', `cannot build the context: ${(err as Error).message}`, {
        retryable: false,
      })
    }
  }
  return context
}

/** Renders the templates, checks the options and estimates, with the context (if any) built. */
function preparedWith(p: PrepareInput, backend: Backend, context: PreparedTask['context']): PreparedTask {
  const { planned, task } = p
  const hasOptions = hasKeys(planned.with)
  // Options without templates are used as they are (see workflow/backend-options.ts); others are rendered.
  const staticOptions = !hasOptions || isStatic(planned.with)
  let prompt: string | undefined
  let input: Json | undefined
  let options: Record<string, Json> = hasOptions && staticOptions ? planned.with : {}
  // Nothing to render (a bare task): no scope to build.
  if (planned.prompt !== undefined || planned.input !== undefined || !staticOptions) {
    const scope: Scope = { ...p.scope, context: context?.context.text ?? '' }
    try {
      if (planned.prompt !== undefined) {
        const rendered = renderTemplate(planned.prompt, scope)
        prompt = typeof rendered === 'string' ? rendered : JSON.stringify(rendered)
      }
      if (planned.input !== undefined) input = renderDeep(planned.input, scope)
      if (!staticOptions) options = renderDeep(planned.with, scope) as Record<string, Json>
    } catch (err) {
      const message = err instanceof TemplateError ? err.message : String(err)
      throw new BackendError('template', `cannot render the task: ${message}`, { retryable: false })
    }
  }
  // A task that declares `context:` gets it in front of its prompt, unless it placed it itself.
  if (context && !(planned.prompt ?? '').includes('context }}') && context.context.text) {
    prompt = prompt ? `${context.context.text}\n\n${prompt}` : context.context.text
  }
  if (backend.optionsSchema) {
    const parsed = checkOptions(backend.optionsSchema, options)
    if (!parsed.success) {
      const detail = parsed.error.issues.map((i) => `with.${i.path.join('.')}: ${i.message}`).join('; ')
      throw new BackendError('bad_options', `bad options for backend '${backend.id}': ${detail}`, {
        retryable: false,
      })
    }
    options = parsed.data as Record<string, Json>
  } else if (options === planned.with) {
    // The plan's own object: each attempt gets a copy to keep.
    options = { ...options }
  }
  const upstream: Record<string, { output?: Json; text?: string }> = taskKeyed()
  // The task's needs by order when the graph has them and they are the planned list itself (a
  // task loaded from a store carries a copy): no lookup by id per need.
  const graph = planned.needs === task.needs && p.graph?.needsIndexed(task) ? p.graph : undefined
  for (let i = 0; i < planned.needs.length; i++) {
    const dep = planned.needs[i]!
    const d = graph ? graph.needAt(task, i) : p.tasks.get(dep)
    if (d?.status !== 'succeeded') continue
    const up: { output?: Json; text?: string } = { output: d.output }
    if (d.text !== undefined) up.text = d.text
    upstream[dep] = up
  }
  // Optional fields are assigned, not spread: this runs once per attempt.
  const request: TaskRequest = {
    attempt: p.attempt,
    runId: p.runId,
    taskId: task.taskId,
    options,
    upstream,
    memory: p.memory,
  }
  if (prompt !== undefined) request.prompt = prompt
  if (input !== undefined) request.input = input
  if (planned.model) request.model = planned.model
  if (planned.timeoutMs !== undefined) request.timeoutMs = planned.timeoutMs
  if (task.sessionId) request.sessionId = task.sessionId
  if (context) request.context = { text: context.context.text, tokens: context.context.tokens }
  return { backend, request, context, estimate: estimateOf(backend, request, p.cost, planned) }
}

/**
 * An empty object for keys that are task ids, in dictionary mode from the start (with the usual
 * prototype). V8 gives an object literal a hidden class per new key, and task ids are all
 * different: in a run of 100,000 tasks, adding them one by one cost more than the rest of the
 * attempt's preparation.
 *
 * Made by deleting a field that is not the last one, which turns the object into a dictionary
 * with a hidden class V8 shares between all such objects. `Object.setPrototypeOf` on an
 * `Object.create(null)` did the same, but built a new hidden class for every object, in the old
 * generation, where it stayed until a full GC: about 70 bytes per task of a large run's peak.
 */
function taskKeyed<V>(): Record<string, V> {
  const o: Record<string, V | undefined> = { a: undefined, b: undefined }
  delete o.a
  delete o.b
  return o as Record<string, V>
}

function hasKeys(o: object): boolean {
  for (const _ in o) return true
  return false
}

/** The backend's own estimate when it has one (a scripted mock knows), else the cost model's. */
function estimateOf(
  backend: Backend,
  request: TaskRequest,
  cost: CostModel | undefined,
  planned: PlannedTask,
): Estimate | undefined {
  const model = planned.model
  const own = backend.estimate?.(request)
  if (own) {
    const usage: Usage = { ...emptyUsage(), ...own }
    const costUsd = own.costUsd ?? (cost ? cost.cost(usage, model) : undefined)
    return {
      inputTokens: usage.inputTokens + usage.cacheReadTokens + usage.cacheWriteTokens,
      outputTokens: usage.outputTokens + usage.reasoningTokens,
      ...(costUsd !== undefined ? { costUsd } : {}),
      ...(model ? { model } : {}),
    }
  }
  if (!cost) return undefined
  const text = [request.prompt ?? '', request.input !== undefined ? JSON.stringify(request.input) : ''].join(
    '\n',
  )
  const e = cost.estimate({
    text,
    ...(model ? { model } : {}),
    ...(planned.expectedOutputTokens !== undefined
      ? { expectedOutputTokens: planned.expectedOutputTokens }
      : {}),
  })
  return {
    inputTokens: e.inputTokens,
    outputTokens: e.outputTokens,
    ...(e.costUsd !== undefined ? { costUsd: e.costUsd } : {}),
    ...(model ? { model } : {}),
  }
}

/** Tokens of a text: the cost model's tokenizer, else about 4 characters a token (never 0). */
export function countTokens(cost: CostModel | undefined, text: string, model?: string): number {
  if (cost) return cost.countTokens(text, model)
  return text.length === 0 ? 0 : Math.max(1, Math.ceil(text.length / 4))
}
