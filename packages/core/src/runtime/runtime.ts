/**
 * The composition root: a store, backends and policies in; runs, events and controls out.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import type { Backend } from '../contracts/backend.js'
import type { Diagnostic, DiagnosticsMode } from '../contracts/diagnostic.js'
import { WeftError } from '../contracts/errors.js'
import { EPHEMERAL_EVENT_TYPES, type WeftEvent } from '../contracts/event.js'
import type { Json } from '../contracts/json.js'
import type { WeftPlugin } from '../contracts/plugin.js'
import {
  isTerminalRunStatus,
  type Page,
  type RunFilter,
  type RunSpecInput,
  RunSpecSchema,
  type RunSummary,
} from '../contracts/run.js'
import type { Store } from '../contracts/store.js'
import type { TaskState } from '../contracts/task.js'
import { type RetryPolicy, type TaskSpec, TaskSpecSchema, type WorkflowInput } from '../contracts/workflow.js'
import { createMemoryStore } from '../store/memory-store.js'
import type { Locator } from '../workflow/load.js'
import {
  type BackendInfo,
  formatPath,
  type ValidationResult,
  validateWorkflow,
} from '../workflow/validate.js'
import { SlotPool } from './concurrency.js'
import { EventBus, type EventListener } from './event-bus.js'
import { newRunId } from './ids.js'
import type { AgentProfile } from './plan.js'
import { type ExecutionDeps, RunExecution } from './run-execution.js'

export interface RuntimeOptions {
  /** Where runs live. Default: an in-memory store. */
  store?: Store
  backends?: Backend[]
  /** Plugins contribute backends (already loaded; see `loadPlugins`). */
  plugins?: WeftPlugin[]
  /** Named agent profiles that tasks select with `agent:`. */
  agents?: Record<string, AgentProfile>
  /** Runtime-wide cap on running tasks across all runs. Default 16. */
  maxParallelism?: number
  /** A run's cap when neither the run nor the workflow sets `maxParallelism`. Default 4. */
  defaultRunParallelism?: number
  diagnostics?: DiagnosticsMode
  reporter?: { warn(message: string, context?: unknown): void }
  /** Receives every committed event (and live deltas), e.g. to export traces. */
  traceSink?: (event: WeftEvent) => void
  /** The least specific retry policy; backends, workflows, tasks and runs override it. */
  retryDefaults?: RetryPolicy
  /** Working directory handed to backends. Default: `process.cwd()`. */
  workDir?: string
  /** How long a canceled backend may take to stop before it is abandoned. Default 5000 ms. */
  cancelGraceMs?: number
  /** How often to look for cancel/pause/resume requests from other processes. Default 250 ms. */
  signalPollMs?: number
  /** Source of randomness for retry jitter (tests pass a fixed one). */
  random?: () => number
}

export interface StartOptions {
  /** The workflow's file and a locator, so diagnostics point at lines. */
  file?: string
  locate?: Locator
}

export interface EventsOptions {
  /** Only events with `seq` greater than this. */
  after?: number
  /** Keep waiting for new events until the run finishes. */
  follow?: boolean
  /** Include live-only text deltas (only while following a run of this process). */
  deltas?: boolean
  signal?: AbortSignal
}

export interface Runtime {
  readonly store: Store
  readonly backends: ReadonlyMap<string, Backend>
  /** Validates a workflow against this runtime's backends without running it. */
  validate(
    workflow: unknown,
    options?: StartOptions & {
      inputs?: Record<string, Json>
      backend?: string
      diagnostics?: DiagnosticsMode
    },
  ): ValidationResult
  /** Validates and starts a run. Throws `workflow_invalid` with every diagnostic; writes nothing then. */
  start(
    spec: RunSpecInput | (Omit<RunSpecInput, 'workflow'> & { workflow: WorkflowInput }),
    options?: StartOptions,
  ): Promise<RunSummary>
  get(runId: string): Promise<RunSummary | undefined>
  tasks(runId: string): Promise<TaskState[]>
  list(filter?: RunFilter): Promise<Page<RunSummary>>
  events(runId: string, options?: EventsOptions): AsyncIterable<WeftEvent>
  /** Live events of all runs (or one run) of this process. Returns the unsubscribe function. */
  subscribe(listener: EventListener, runId?: string): () => void
  /** Resolves when the run is finished, or paused with nothing running. */
  wait(runId: string, options?: { signal?: AbortSignal }): Promise<RunSummary>
  cancel(runId: string, reason?: string): Promise<RunSummary>
  pause(runId: string): Promise<RunSummary>
  /** Resumes a paused run; with `token`, answers an approval and `input` becomes the task's output. */
  resume(runId: string, options?: { token?: string; input?: Json }): Promise<RunSummary>
  addTasks(runId: string, tasks: Record<string, unknown>): Promise<RunSummary>
  /**
   * Stops this runtime: running attempts are aborted (a shell command is killed) but their tasks
   * stay `running` in the store, as after a crash, so a later recovery can run them again; then
   * backends are disposed and the store closes.
   */
  close(): Promise<void>
}

export function createRuntime(options: RuntimeOptions = {}): Runtime {
  const store = options.store ?? createMemoryStore()
  const backends = new Map<string, Backend>()
  for (const b of [
    ...(options.plugins ?? []).flatMap((p) => p.backends ?? []),
    ...(options.backends ?? []),
  ]) {
    backends.set(b.id, b)
  }
  const backendInfo = new Map<string, BackendInfo>(
    [...backends].map(([id, b]) => [id, { id, optionsSchema: b.optionsSchema }]),
  )
  const agents = options.agents ?? {}
  const reporter = options.reporter ?? {
    warn: (message: string) => process.emitWarning(message, 'WeftWarning'),
  }
  const bus = new EventBus()
  const active = new Map<string, RunExecution>()
  const slots = new SlotPool(options.maxParallelism ?? 16)
  let closed = false
  let signalCursor = 0

  const deps: ExecutionDeps = {
    store,
    bus,
    slots,
    backends,
    agents,
    retryDefaults: options.retryDefaults,
    defaultParallelism: options.defaultRunParallelism ?? 4,
    workDir: options.workDir ?? process.cwd(),
    random: options.random ?? Math.random,
    cancelGraceMs: options.cancelGraceMs ?? 5000,
    warn: (message, context) => reporter.warn(message, context),
    traceSink: options.traceSink,
    onSlotFreed: () => {
      for (const exec of active.values()) exec.pump()
    },
    onFinished: (exec) => {
      if (active.get(exec.id) === exec) active.delete(exec.id)
    },
  }

  // The store opens on first use, so validating a workflow never creates a database file.
  let opened: Promise<void> | undefined
  function ready(): Promise<void> {
    opened ??= (async () => {
      await store.init()
      signalCursor = await store.signals.lastId()
    })()
    return opened
  }

  const poller = setInterval(() => void pollSignals(), options.signalPollMs ?? 250)
  poller.unref()
  let polling = false
  async function pollSignals() {
    if (polling || closed || active.size === 0) return
    polling = true
    try {
      await ready()
      const signals = await store.signals.receive([...active.keys()], signalCursor)
      for (const s of signals) {
        signalCursor = Math.max(signalCursor, s.id)
        const exec = active.get(s.runId)
        if (!exec) continue
        try {
          if (s.kind === 'cancel')
            await exec.cancel(typeof s.data === 'string' ? s.data : 'canceled from another process')
          else if (s.kind === 'pause') await exec.pause()
          else await exec.resume((s.data ?? {}) as { token?: string; input?: Json })
        } catch (err) {
          reporter.warn(`could not apply ${s.kind} to run ${s.runId}: ${(err as Error).message}`, err)
        }
      }
    } catch (err) {
      if (!closed) reporter.warn(`reading signals failed: ${(err as Error).message}`, err)
    } finally {
      polling = false
    }
  }

  async function guard() {
    if (closed) throw new WeftError('runtime_closed', 'the runtime is closed')
    await ready()
  }

  function validate(
    workflow: unknown,
    opts: StartOptions & {
      inputs?: Record<string, Json>
      backend?: string
      diagnostics?: DiagnosticsMode
    } = {},
  ) {
    const result = validateWorkflow(workflow, {
      file: opts.file,
      locate: opts.locate,
      backends: backendInfo,
      agents,
      backendOverride: opts.backend,
      inputs: opts.inputs ?? {},
      mode: opts.diagnostics ?? options.diagnostics,
    })
    const budget = (workflow as { budget?: unknown } | undefined)?.budget
    if (result.ok && budget !== undefined) {
      const d: Diagnostic = {
        level: (opts.diagnostics ?? options.diagnostics) === 'strict' ? 'error' : 'warning',
        code: 'budget_not_enforced',
        message:
          'the workflow sets a budget, but this runtime has no cost model, so it is recorded and not enforced',
        path: 'budget',
        ...(opts.file ? { file: opts.file } : {}),
        hint: 'budgets are enforced once a cost model (@weft/cost) is configured',
      }
      result.diagnostics.push(d)
      if (d.level === 'error') result.ok = false
    }
    return result
  }

  /** Finds the execution of a run in this process, or loads a run that no process is running. */
  async function executionFor(runId: string): Promise<RunExecution | 'remote'> {
    const local = active.get(runId)
    if (local) return local
    const summary = await store.runs.get(runId)
    if (!summary) throw notFound(runId)
    if (isTerminalRunStatus(summary.status)) {
      throw new WeftError('run_finished', `run ${runId} already ${summary.status}`, {
        hint: 'start a new run',
      })
    }
    const settledPause = summary.status === 'paused' && summary.taskCounts.running === 0
    if (!settledPause) return 'remote'
    const exec = await RunExecution.load(deps, runId)
    if (!exec) throw notFound(runId)
    if (exec.orphanedRunningTasks.length) return 'remote'
    active.set(runId, exec)
    return exec
  }

  /**
   * Applies an operation to a run. A run that another process is running gets a signal instead;
   * a commit conflict (another process acted first) reloads the run and tries once more.
   */
  async function control(
    runId: string,
    kind: 'cancel' | 'pause' | 'resume',
    op: (exec: RunExecution) => Promise<void>,
    data?: Json,
    precheck?: () => Promise<void>,
  ): Promise<RunSummary> {
    await guard()
    for (let attempt = 0; ; attempt++) {
      // Checks against the stored state when this process does not hold the run (or lost a race).
      if (precheck && !active.has(runId)) await precheck()
      const exec = await executionFor(runId)
      if (exec === 'remote') {
        await store.signals.send({ runId, kind, ...(data !== undefined ? { data } : {}) })
        return (await store.runs.get(runId))!
      }
      try {
        await op(exec)
        return structuredClone(exec.summary)
      } catch (err) {
        if (!(err instanceof WeftError && err.code === 'conflict') || attempt > 0) throw err
        active.delete(runId)
      }
    }
  }

  const runtime: Runtime = {
    store,
    backends,
    validate,

    async start(input, opts = {}) {
      await guard()
      const raw = input as RunSpecInput
      const result = validate(raw.workflow, {
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
          { diagnostics: result.diagnostics, hint: 'run `weft validate <file>` to see every problem' },
        )
      }
      const parsed = RunSpecSchema.safeParse({ ...raw, workflow: result.workflow, inputs: result.inputs })
      if (!parsed.success) {
        const issue = parsed.error.issues[0]!
        throw new WeftError(
          'input_invalid',
          `bad run spec at ${formatPath(issue.path as (string | number)[]) || '(root)'}: ${issue.message}`,
        )
      }
      const spec = { ...parsed.data, ...(opts.file && !parsed.data.source ? { source: opts.file } : {}) }
      const exec = await RunExecution.create(deps, newRunId(), spec, result.diagnostics)
      active.set(exec.id, exec)
      await exec.begin()
      return structuredClone(exec.summary)
    },

    async get(runId) {
      await guard()
      const local = active.get(runId)
      return local ? structuredClone(local.summary) : store.runs.get(runId)
    },

    async tasks(runId) {
      await guard()
      const local = active.get(runId)
      return local ? [...local.tasks.values()].map((t) => structuredClone(t)) : store.tasks.list(runId)
    },

    async list(filter) {
      await guard()
      return store.runs.list(filter)
    },

    events(runId, opts = {}) {
      return followEvents(runId, opts)
    },

    subscribe(listener, runId) {
      return bus.subscribe(listener, runId)
    },

    async wait(runId, opts = {}) {
      await guard()
      const local = active.get(runId)
      if (local) return local.settled()
      for (;;) {
        const s = await store.runs.get(runId)
        if (!s) throw notFound(runId)
        if (isTerminalRunStatus(s.status) || (s.status === 'paused' && s.taskCounts.running === 0)) return s
        const exec = active.get(runId)
        if (exec) return exec.settled()
        await sleep(200, undefined, { signal: opts.signal })
      }
    },

    async cancel(runId, reason = 'canceled') {
      await guard()
      const summary = active.get(runId)?.summary ?? (await store.runs.get(runId))
      if (!summary) throw notFound(runId)
      if (isTerminalRunStatus(summary.status)) return structuredClone(summary)
      return control(runId, 'cancel', (exec) => exec.cancel(reason), reason)
    },

    pause(runId) {
      return control(runId, 'pause', (exec) => exec.pause())
    },

    async resume(runId, opts = {}) {
      const token = opts.token
      return control(
        runId,
        'resume',
        (exec) => exec.resume(opts),
        opts as Json,
        token === undefined ? undefined : () => checkToken(runId, token),
      )
    },

    async addTasks(runId, tasks) {
      await guard()
      const exec = await executionFor(runId)
      if (exec === 'remote') {
        throw new WeftError('conflict', `run ${runId} is running in another process`, {
          hint: 'add tasks through the process (or server) that runs it',
        })
      }
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
        backends: backendInfo,
        agents,
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
      await exec.addTasks(parsed)
      return structuredClone(exec.summary)
    },

    async close() {
      if (closed) return
      closed = true
      clearInterval(poller)
      await opened?.catch(() => {})
      await Promise.all([...active.values()].map((e) => e.detach()))
      active.clear()
      await Promise.all([...backends.values()].map((b) => b.dispose?.().catch(() => {})))
      await store.close()
    },
  }

  async function checkToken(runId: string, token: string) {
    const tasks = await store.tasks.list(runId)
    const task = tasks.find((t) => t.approval?.token === token)
    if (!task) {
      if (tasks.length === 0 && !(await store.runs.get(runId))) throw notFound(runId)
      throw new WeftError('resume_token_invalid', `run ${runId} has no approval with token '${token}'`, {
        hint: 'see the waiting approvals with `weft runs show <id>`',
      })
    }
    if (task.approval!.status !== 'waiting') {
      throw new WeftError('resume_token_used', `the approval token of task '${task.taskId}' was already used`)
    }
  }

  async function* followEvents(runId: string, opts: EventsOptions): AsyncGenerator<WeftEvent> {
    await guard()
    let after = opts.after ?? 0
    const queue: WeftEvent[] = []
    let wake: (() => void) | undefined
    const unsubscribe = opts.follow
      ? bus.subscribe((e) => {
          queue.push(e)
          wake?.()
        }, runId)
      : undefined
    const onAbort = () => wake?.()
    opts.signal?.addEventListener('abort', onAbort)
    try {
      let summary = await runtime.get(runId)
      if (!summary) throw notFound(runId)
      for (;;) {
        // Catch up from the store (events of other processes arrive this way too).
        for (;;) {
          const page = await store.events.read(runId, { afterSeq: after, limit: 500 })
          for (const e of page) {
            after = e.seq
            yield e
            if (isRunEnd(e)) return
          }
          if (page.length < 500) break
        }
        if (!opts.follow) return
        // The stored summary, not the in-memory one: there status and lastSeq are committed together.
        summary = await store.runs.get(runId)
        if (summary && isTerminalRunStatus(summary.status) && summary.lastSeq <= after) return
        // Then live events from this process, or a short poll for other processes' writes.
        while (queue.length === 0) {
          if (opts.signal?.aborted) return
          await new Promise<void>((resolve) => {
            const t = setTimeout(resolve, active.has(runId) ? 1000 : 250)
            wake = () => {
              clearTimeout(t)
              resolve()
            }
          })
          wake = undefined
          if (queue.length === 0) break
        }
        while (queue.length > 0) {
          const e = queue.shift()!
          if (EPHEMERAL_EVENT_TYPES.has(e.type)) {
            if (opts.deltas) yield e
            continue
          }
          if (e.seq <= after) continue
          if (e.seq > after + 1) {
            queue.unshift(e)
            break // a gap: read the missing events from the store first
          }
          after = e.seq
          yield e
          if (isRunEnd(e)) return
        }
      }
    } finally {
      unsubscribe?.()
      opts.signal?.removeEventListener('abort', onAbort)
    }
  }

  return runtime
}

function isRunEnd(e: WeftEvent): boolean {
  return e.type === 'run.succeeded' || e.type === 'run.failed' || e.type === 'run.canceled'
}

function notFound(runId: string) {
  return new WeftError('run_not_found', `there is no run '${runId}'`, {
    hint: 'list runs with `weft runs list`',
  })
}
