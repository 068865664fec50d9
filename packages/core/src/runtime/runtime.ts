/**
 * The composition root: a store, backends and policies in; runs, events and controls out.
 */
import { randomBytes } from 'node:crypto'
import { hostname, constants as osConstants } from 'node:os'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Backend } from '@weft/spec'
import type { ContextPipeline } from '@weft/spec'
import type { CostModel } from '@weft/spec'
import type { Diagnostic, DiagnosticsMode } from '@weft/spec'
import { WeftError } from '@weft/spec'
import { EPHEMERAL_EVENT_TYPES, type WeftEvent } from '@weft/spec'
import type { Json } from '@weft/spec'
import type { WeftPlugin } from '@weft/spec'
import {
  isTerminalRunStatus,
  type Page,
  type RunFilter,
  type RunSpec,
  type RunSpecInput,
  RunSpecSchema,
  type RunStatus,
  type RunSummary,
} from '@weft/spec'
import type { RunLease, Store } from '@weft/spec'
import type { TaskState } from '@weft/spec'
import {
  type BudgetSpec,
  type RetryPolicy,
  type TaskSpec,
  TaskSpecSchema,
  type WorkflowInput,
} from '@weft/spec'
import { createMemoryStore } from '../store/memory-store.js'
import { descendantsOf } from '../workflow/graph.js'
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
import { type ExecutionDeps, type ReusedOutput, RunExecution } from './run-execution.js'

export interface RuntimeOptions {
  /** Where runs live. Default: an in-memory store. */
  store?: Store
  /** Prices and token counts (`@weft/cost`): estimates, budgets in USD, costs in summaries. */
  cost?: CostModel
  /** Builds and compacts each task's context (`@weft/context`). */
  context?: ContextPipeline
  /** A budget for every run; the workflow's and the run's own override it field by field. */
  budget?: BudgetSpec
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
  /** This runtime's name in run leases. Default `host:pid:random`. */
  owner?: string
  /**
   * How long a run's lease lasts without a heartbeat (renewed every third of it). After a crash,
   * another process can take the run over once it expires. Default 15000 ms.
   */
  leaseTtlMs?: number
  /**
   * For a runtime that is the process (a service, a worker): on these signals, `shutdown()` with
   * this grace period, then exit with 128 + the signal number. Off by default: a library does not
   * take over a process's signals unasked.
   */
  shutdownOnSignals?: { signals?: NodeJS.Signals[]; graceMs?: number; exit?: boolean }
}

/** What `recover` did with one unfinished run. */
export interface RecoveryReport {
  runId: string
  name?: string
  /**
   * `recovered`: this runtime took it over and continues it. `owned`: a live process holds its
   * lease. `paused`: it waits for someone (approval or manual pause) and nobody runs it; resume it.
   * `finished`: it ended meanwhile.
   */
  outcome: 'recovered' | 'owned' | 'paused' | 'finished'
  /** Tasks that were running when their process stopped; they run again. */
  interrupted?: string[]
  /** Tasks that had succeeded; they are not run again. */
  kept?: string[]
  lease?: RunLease
}

export interface ShutdownOptions {
  /** How long running tasks may take to finish before they are interrupted. Default 10000 ms. */
  graceMs?: number
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

/** Runtime-wide dispatch: what runs and waits across every run of this runtime. */
export interface RuntimeQueueStatus {
  /** `pauseQueue()` was called: no new attempts start until `resumeQueue()`. */
  paused: boolean
  /** Unfinished runs this runtime runs (running, paused or winding down). */
  activeRuns: number
  /** Attempts holding a slot (preparing or running). */
  runningTasks: number
  /** Tasks ready to start that wait for a slot (or for dispatch to resume). */
  queuedTasks: number
  /** The runtime-wide cap on running tasks (`maxParallelism`). */
  capacity: number
  /** Runs in the store by status (every run, not only this runtime's). */
  runs: Record<RunStatus, number>
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
  resume(runId: string, options?: { token?: string; input?: Json; budget?: BudgetSpec }): Promise<RunSummary>
  addTasks(runId: string, tasks: Record<string, unknown>): Promise<RunSummary>
  /**
   * Stops dispatch runtime-wide: no run starts a new attempt (running ones finish). Runs can still
   * be started; their tasks queue up. Idempotent.
   */
  pauseQueue(): void
  /** Dispatches again after `pauseQueue`. Idempotent. */
  resumeQueue(): void
  queueStatus(): Promise<RuntimeQueueStatus>
  /**
   * Continues unfinished runs whose process stopped (all of them, or one): succeeded tasks are
   * kept, tasks that were running run again as a new attempt. A run another live process owns is
   * reported (or, when named, refused with `conflict`).
   */
  recover(options?: { runId?: string }): Promise<RecoveryReport[]>
  /**
   * Starts a new run of the same spec that reuses the recorded outputs of every task that
   * succeeded and is not `from` or downstream of it.
   */
  rerun(runId: string, options: { from: string; initiator?: RunSpecInput['initiator'] }): Promise<RunSummary>
  /**
   * Graceful stop: no new attempts, running tasks get `graceMs` to finish, the rest are recorded
   * as interrupted (a later `recover` runs them again), leases are released, the store closes.
   */
  shutdown(options?: ShutdownOptions): Promise<void>
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
  const owner = options.owner ?? `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`
  const leaseTtlMs = options.leaseTtlMs ?? 15_000
  let signalCursor = 0

  const deps: ExecutionDeps = {
    store,
    ...(options.cost ? { cost: options.cost } : {}),
    ...(options.context ? { context: options.context } : {}),
    ...(options.budget ? { budget: options.budget } : {}),
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
      store.leases.release(exec.id, owner).catch(() => {})
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

  // Heartbeat: keep the leases of the runs this process runs. A lease that was lost (this process
  // stalled past its expiry and another took the run over) stops the run here without writing.
  const heartbeat = setInterval(() => void renewLeases(), Math.max(10, Math.floor(leaseTtlMs / 3)))
  heartbeat.unref()
  let renewing = false
  async function renewLeases() {
    if (renewing || closed || active.size === 0) return
    renewing = true
    try {
      for (const exec of [...active.values()]) {
        if (exec.isFinished) continue
        const held = await store.leases.renew(exec.id, owner, leaseTtlMs)
        if (!held && active.get(exec.id) === exec) {
          active.delete(exec.id)
          exec.abandon(
            new WeftError(
              'conflict',
              `run ${exec.id} was taken over by another process after this one missed its lease`,
            ),
          )
        }
      }
    } catch (err) {
      if (!closed) reporter.warn(`renewing run leases failed: ${(err as Error).message}`, err)
    } finally {
      renewing = false
    }
  }
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
          else
            await exec.resume({
              ...((s.data ?? {}) as { token?: string; input?: Json }),
              via: `signal:${s.id}`,
            })
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
    if (result.ok && budget !== undefined && !options.cost) {
      const d: Diagnostic = {
        level: (opts.diagnostics ?? options.diagnostics) === 'strict' ? 'error' : 'warning',
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

  /**
   * Finds the execution of a run in this process, or takes over a run no live process owns (a
   * paused run, or one whose process died): its lease decides. Returns the holder's lease when
   * another live process runs it.
   */
  async function executionFor(runId: string): Promise<RunExecution | { remote: RunLease }> {
    const local = active.get(runId)
    if (local) return local
    const summary = await store.runs.get(runId)
    if (!summary) throw notFound(runId)
    if (isTerminalRunStatus(summary.status)) {
      throw new WeftError('run_finished', `run ${runId} already ${summary.status}`, {
        hint: 'start a new run',
      })
    }
    const previous = await store.leases.get(runId)
    const taken = await store.leases.acquire(runId, owner, leaseTtlMs)
    if (!taken.acquired) return { remote: taken.lease }
    const exec = await RunExecution.load(deps, runId)
    if (!exec) throw notFound(runId)
    active.set(runId, exec)
    lastAdoption.set(
      runId,
      await exec.adopt(owner, previous && previous.owner !== owner ? previous.owner : undefined),
    )
    return exec
  }
  const lastAdoption = new Map<string, { interrupted: string[]; kept: string[] }>()

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
      if (!(exec instanceof RunExecution)) {
        const signal = await store.signals.send({ runId, kind, ...(data !== undefined ? { data } : {}) })
        if (kind === 'resume' && (data as { token?: string } | undefined)?.token) {
          await awaitApproval(runId, (data as { token: string }).token, signal.id, exec.remote)
        }
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
      return launch(spec, result.diagnostics)
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

    pauseQueue() {
      slots.paused = true
    },

    resumeQueue() {
      if (!slots.paused) return
      slots.paused = false
      deps.onSlotFreed()
    },

    async queueStatus() {
      await guard()
      let runningTasks = 0
      let queuedTasks = 0
      let activeRuns = 0
      for (const exec of active.values()) {
        if (exec.isFinished) continue
        activeRuns++
        runningTasks += exec.holdingSlots
        queuedTasks += exec.waitingForSlot
      }
      return {
        paused: slots.paused,
        activeRuns,
        runningTasks,
        queuedTasks,
        capacity: slots.capacity,
        runs: await store.runs.counts(),
      }
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
      if (!(exec instanceof RunExecution)) {
        throw new WeftError('conflict', `run ${runId} is running in another process (${exec.remote.owner})`, {
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

    async recover(opts = {}) {
      await guard()
      const ids = opts.runId ? [opts.runId] : await unfinishedRunIds()
      const reports: RecoveryReport[] = []
      for (const runId of ids) {
        const summary = await runtime.get(runId)
        if (!summary) throw notFound(runId)
        const base = { runId, name: summary.name }
        if (isTerminalRunStatus(summary.status)) {
          reports.push({ ...base, outcome: 'finished' })
          continue
        }
        if (active.has(runId)) {
          reports.push({ ...base, outcome: 'recovered', interrupted: [], kept: [] })
          continue
        }
        // A pause that nobody runs is not lost work: it waits for a person, not for recovery.
        if (summary.status === 'paused' && summary.taskCounts.running === 0) {
          reports.push({ ...base, outcome: 'paused' })
          continue
        }
        let exec: Awaited<ReturnType<typeof executionFor>>
        try {
          exec = await executionFor(runId)
        } catch (err) {
          if (err instanceof WeftError && err.code === 'run_finished') {
            reports.push({ ...base, outcome: 'finished' })
            continue
          }
          throw err
        }
        if (!(exec instanceof RunExecution)) {
          if (opts.runId) {
            throw new WeftError(
              'conflict',
              `run ${runId} is owned by ${exec.remote.owner} until ${exec.remote.expiresAt}`,
              {
                hint: 'that process is alive and running it; if it has died, try again once its lease expires',
                details: { owner: exec.remote.owner, expiresAt: exec.remote.expiresAt },
              },
            )
          }
          reports.push({ ...base, outcome: 'owned', lease: exec.remote })
          continue
        }
        reports.push({
          ...base,
          outcome: 'recovered',
          ...(lastAdoption.get(runId) ?? { interrupted: [], kept: [] }),
        })
      }
      return reports
    },

    async rerun(runId, opts) {
      await guard()
      const [spec, tasks] = await Promise.all([store.runs.getSpec(runId), store.tasks.list(runId)])
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
      const next = {
        ...spec,
        initiator: opts.initiator ?? spec.initiator,
        rerunOf: { runId, from: opts.from },
      }
      return launch(next, [], reuse)
    },

    shutdown(opts) {
      return shutdown(opts?.graceMs ?? 10_000)
    },

    close() {
      return shutdown(0)
    },
  }

  /** Commits a new run, takes its lease and starts it. */
  async function launch(spec: RunSpec, diagnostics: Diagnostic[], reuse?: Map<string, ReusedOutput>) {
    const exec = await RunExecution.create(deps, newRunId(), spec, diagnostics, reuse)
    await store.leases.acquire(exec.id, owner, leaseTtlMs)
    active.set(exec.id, exec)
    await exec.begin()
    return structuredClone(exec.summary)
  }

  async function unfinishedRunIds(): Promise<string[]> {
    const ids: string[] = []
    let cursor: string | undefined
    do {
      const page = await store.runs.list({
        status: ['pending', 'running', 'canceling', 'paused'],
        limit: 500,
        ...(cursor ? { cursor } : {}),
      })
      ids.push(...page.items.map((r) => r.id))
      cursor = page.nextCursor
    } while (cursor)
    return ids.reverse() // oldest first
  }

  if (options.shutdownOnSignals) {
    const { signals = ['SIGTERM', 'SIGINT'], graceMs = 10_000, exit = true } = options.shutdownOnSignals
    const onSignal = (signal: NodeJS.Signals) => {
      for (const s of signals) process.off(s, onSignal)
      reporter.warn(`${signal}: shutting down (running tasks get ${graceMs} ms)`)
      void shutdown(graceMs).finally(() => {
        if (exit) process.exit(128 + (osConstants.signals[signal] ?? 0))
      })
    }
    for (const s of signals) process.on(s, onSignal)
  }

  let stopping: Promise<void> | undefined
  function shutdown(graceMs: number): Promise<void> {
    stopping ??= (async () => {
      closed = true
      clearInterval(poller)
      clearInterval(heartbeat)
      await opened?.catch(() => {})
      const execs = [...active.values()]
      // No new attempts; running ones get the grace period, then are interrupted and recorded.
      const drained = Promise.all(execs.map((e) => e.drain()))
      if (graceMs > 0) await Promise.race([drained, sleep(graceMs, undefined, { ref: false })])
      for (const e of execs) e.interruptRunning('the runtime shut down before the task finished')
      await drained
      await Promise.all(execs.map((e) => e.detach()))
      await Promise.all(execs.map((e) => store.leases.release(e.id, owner).catch(() => {})))
      active.clear()
      await Promise.all([...backends.values()].map((b) => b.dispose?.().catch(() => {})))
      await store.close()
    })()
    return stopping
  }

  /**
   * An approval forwarded to the process that owns the run: wait until that process answered it,
   * and tell whether it was this request (`via`) or another one that used the token.
   */
  async function awaitApproval(runId: string, token: string, signalId: number, lease: RunLease) {
    const deadline = Date.now() + 10_000
    while (Date.now() < deadline) {
      const task = (await store.tasks.list(runId)).find((t) => t.approval?.token === token)
      if (task && task.approval?.status !== 'waiting') {
        const approved = await store.events.query({ runId, types: ['task.approved'], taskId: task.taskId })
        if (approved.some((e) => e.type === 'task.approved' && e.data.via === `signal:${signalId}`)) return
        throw new WeftError(
          'resume_token_used',
          `the approval token of task '${task.taskId}' was already used`,
        )
      }
      await sleep(100)
    }
    throw new WeftError(
      'conflict',
      `run ${runId} is owned by ${lease.owner}, which has not answered the approval yet`,
      {
        hint: 'the request is queued for that process; check the run with `weft runs show`',
      },
    )
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
