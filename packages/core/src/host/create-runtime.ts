/**
 * The composition root: a store, backends and policies in; runs, events and controls out. Each
 * concept lives in its own module (ownership, takeover, signals, control, recovery, starts,
 * following events, shutdown); this file wires them together.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import type { Backend, Json, RunSummary, RuntimeLifecycleEvent } from '@weft/spec'
import { isTerminalRunStatus, WeftError } from '@weft/spec'
import { systemClock } from '../run/clock.js'
import { createInProcessExecutor } from '../run/in-process-executor.js'
import { SlotPool } from '../runtime/concurrency.js'
import { EventBus } from '../runtime/event-bus.js'
import { SUBWORKFLOW_BACKEND } from '../runtime/plan.js'
import { type ExecutionDeps, RunExecution } from '../runtime/run-execution.js'
import { createMemoryStore } from '../store/memory-store.js'
import { queryTasks } from '../store/task-query.js'
import type { BackendInfo } from '../workflow/validate.js'
import type { Runtime } from './api.js'
import { type Adoption, type Host, notFound } from './context.js'
import { checkToken, control } from './control.js'
import { followEvents } from './follow-events.js'
import type { RuntimeOptions } from './options.js'
import { newOwnerName } from './owner.js'
import { Ownership } from './ownership.js'
import { QueueWatch } from './queue-watch.js'
import { Recovery } from './recovery.js'
import { RunRegistry } from './registry.js'
import { shutdownOnSignals, shutdownRuns } from './shutdown.js'
import { SignalInbox } from './signals.js'
import { launch, rerunPlan, validate, validatedNewTasks, validatedSpec } from './starts.js'
import { createSubworkflowBackend } from './subworkflows.js'
import { executionFor } from './takeover.js'
import { cancelTask } from './task-control.js'
import { Tracing } from './tracing.js'

export function createRuntime(options: RuntimeOptions = {}): Runtime {
  const store = options.store ?? createMemoryStore()
  const backends = new Map<string, Backend>()
  for (const b of [
    ...(options.plugins ?? []).flatMap((p) => p.backends ?? []),
    ...(options.backends ?? []),
  ]) {
    backends.set(b.id, b)
  }
  // Subworkflows (`uses:`) run on a backend of the runtime itself (unless one of that id is given).
  // It runs tasks but is not one of the runtime's listed backends.
  let self: Runtime | undefined
  const runnable = new Map(backends)
  if (!runnable.has(SUBWORKFLOW_BACKEND)) {
    runnable.set(
      SUBWORKFLOW_BACKEND,
      createSubworkflowBackend({
        runtime: () => self!,
        workDir: options.workDir ?? process.cwd(),
        ...(options.workflowsDir ? { workflowsDir: options.workflowsDir } : {}),
      }),
    )
  }
  const backendInfo = new Map<string, BackendInfo>(
    [...runnable].map(([id, b]) => [
      id,
      { id, optionsSchema: b.optionsSchema, commandFields: b.commandFields, errorCodes: b.errorCodes },
    ]),
  )
  const reporter = options.reporter ?? {
    warn: (message: string) => process.emitWarning(message, 'WeftWarning'),
  }
  const warn = (message: string, context?: unknown) => reporter.warn(message, context)
  const bus = new EventBus()
  const registry = new RunRegistry()
  const slots = new SlotPool(options.maxParallelism ?? 16)
  const leaseTtlMs = options.leaseTtlMs ?? 15_000
  const ownership = new Ownership(store, options.owner ?? newOwnerName(), leaseTtlMs, registry, warn)
  let closed = false
  const clock = options.clock ?? systemClock
  const tracing = new Tracing(
    [
      ...(options.traceSink === undefined
        ? []
        : Array.isArray(options.traceSink)
          ? options.traceSink
          : [options.traceSink]),
      ...(options.plugins ?? []).flatMap((p) => {
        try {
          return p.traceSink?.() ?? []
        } catch (err) {
          warn(
            `plugin ${p.name}: its trace sink could not be created: ${(err as Error)?.message ?? String(err)}`,
          )
          return []
        }
      }),
    ],
    warn,
    () => clock.iso(),
  )
  let startedAt: number | undefined
  let started: RuntimeLifecycleEvent | undefined
  const lifecycleListeners = new Set<(event: RuntimeLifecycleEvent) => void>()
  const lifecycle = (event: RuntimeLifecycleEvent) => {
    tracing.lifecycle(event)
    for (const l of lifecycleListeners) {
      try {
        l(event)
      } catch {
        /* a listener's bug is its own */
      }
    }
  }

  const deps: ExecutionDeps = {
    store,
    ...(options.cost ? { cost: options.cost } : {}),
    ...(options.context ? { context: options.context } : {}),
    ...(options.budget ? { budget: options.budget } : {}),
    bus,
    slots,
    backends: tracing.wrapBackends(runnable),
    agents: options.agents ?? {},
    retryDefaults: options.retryDefaults,
    defaultParallelism: options.defaultRunParallelism ?? 4,
    workDir: options.workDir ?? process.cwd(),
    random: options.random ?? Math.random,
    ...(options.clock ? { clock: options.clock } : {}),
    cancelGraceMs: options.cancelGraceMs ?? 5000,
    warn,
    traceSink: tracing.eventListener(),
    // Runs wait for a free slot: when the run that freed one took it again meanwhile (it pumps
    // first), pumping every run would find none, once per finished task.
    onSlotFreed: () => {
      if (slots.hasFree) registry.pumpAll()
    },
    onFinished: (exec) => {
      registry.remove(exec.id, exec)
      void ownership.release(exec.id)
    },
  }

  if (options.executor) {
    // Subworkflow tasks start a run of this runtime and wait for it: they stay in this process
    // whatever executes the other tasks.
    const remote = options.executor
    const local = createInProcessExecutor({ backends: deps.backends, store, workDir: deps.workDir, warn })
    deps.executor = {
      start: (attempt, io) => (attempt.backend === SUBWORKFLOW_BACKEND ? local : remote).start(attempt, io),
      ...(remote.inFlight && remote.follow
        ? { inFlight: remote.inFlight.bind(remote), follow: remote.follow.bind(remote) }
        : {}),
    }
  }

  // The store opens on first use, so validating a workflow never creates a database file.
  let opened: Promise<void> | undefined
  const ready = (): Promise<void> => {
    opened ??= (async () => {
      await store.init()
      await inbox.init()
      await queue.init()
      if (!closed) {
        startedAt = clock.now()
        started = {
          type: 'runtime.started',
          ts: clock.iso(),
          owner: ownership.owner,
          data: { backends: [...backends.keys()], store: store.id, maxParallelism: slots.capacity },
        }
        lifecycle(started)
      }
    })()
    return opened
  }
  const inbox = new SignalInbox(store, registry, ready, warn, options.signalPollMs ?? 250)
  // The durable queue flag: read when the store opens, then polled (a pause from any process
  // that shares the store stops dispatch here within queuePollMs).
  const queue = new QueueWatch(
    store,
    slots,
    () => deps.onSlotFreed(),
    warn,
    options.queuePollMs ?? 250,
    () => registry.size > 0,
  )

  const host: Host = {
    options,
    store,
    deps,
    registry,
    ownership,
    backendInfo,
    adoptions: new Map<string, Adoption>(),
    warn,
    ready,
    async guard() {
      if (closed) throw new WeftError('runtime_closed', 'the runtime is closed')
      await ready()
    },
    get closed() {
      return closed
    },
  }
  // Often enough to notice soon that a holder on this host died; its lease may last much longer.
  const recoveryRetryMs = options.recoveryRetryMs ?? Math.min(5000, Math.max(50, Math.floor(leaseTtlMs / 3)))
  const recovery = new Recovery(host, recoveryRetryMs)

  async function get(runId: string): Promise<RunSummary | undefined> {
    await host.guard()
    const local = registry.get(runId)
    return local ? structuredClone(local.committedSummary) : store.runs.get(runId)
  }

  let stopping: Promise<void> | undefined
  function shutdown(graceMs: number): Promise<void> {
    stopping ??= (async () => {
      closed = true
      inbox.stop()
      queue.stop()
      ownership.stop()
      recovery.stop()
      const interruptedRuns = registry.all().length
      await shutdownRuns(host, backends, opened, graceMs)
      if (startedAt !== undefined) {
        lifecycle({
          type: 'runtime.stopped',
          ts: clock.iso(),
          owner: ownership.owner,
          data: { graceMs, uptimeMs: clock.now() - startedAt, interruptedRuns },
        })
      }
      await tracing.stop()
    })()
    return stopping
  }
  if (options.shutdownOnSignals) shutdownOnSignals(options.shutdownOnSignals, shutdown, warn)

  const runtime: Runtime = {
    store,
    backends,
    validate: (workflow, opts) => validate(host, workflow, opts),

    async start(input, opts = {}) {
      await host.guard()
      const { spec, diagnostics } = validatedSpec(host, input, opts)
      const run = await launch(host, spec, diagnostics, undefined, opts.detach === true)
      queue.keepAlive()
      return run
    },

    get,

    async tasks(runId) {
      await host.guard()
      const local = registry.get(runId)
      return local ? [...local.tasks.values()].map((t) => structuredClone(t)) : store.tasks.list(runId)
    },

    async list(filter) {
      await host.guard()
      return store.runs.list(filter)
    },

    async pauseQueue(change = {}) {
      await queue.set(true, change, () => host.guard())
      return runtime.queueStatus()
    },

    async resumeQueue(change = {}) {
      await queue.set(false, change, () => host.guard())
      return runtime.queueStatus()
    },

    async queueStatus() {
      await host.guard()
      const { paused, ...flag } = await queue.refresh()
      return {
        paused,
        ...flag,
        durable: queue.durable,
        ...registry.load(),
        capacity: slots.capacity,
        runs: await store.runs.counts(),
      }
    },

    async queueHistory(opts = {}) {
      await host.guard()
      return store.queue && store.capabilities.queue ? store.queue.history(opts) : []
    },

    async queryTasks(query = {}) {
      await host.guard()
      return queryTasks(store, query)
    },

    cancelTask: (runId, taskId, reason = 'canceled') => cancelTask(host, runId, taskId, reason),

    events: (runId, opts = {}) => followEvents(host, bus, get, runId, opts),

    subscribe: (listener, runId) => bus.subscribe(listener, runId),

    onLifecycle(listener) {
      lifecycleListeners.add(listener)
      if (started && startedAt !== undefined && !stopping) listener(started)
      return () => lifecycleListeners.delete(listener)
    },

    async wait(runId, opts = {}) {
      await host.guard()
      const local = registry.get(runId)
      if (local) return local.settled()
      for (;;) {
        const s = await store.runs.get(runId)
        if (!s) throw notFound(runId)
        if (isTerminalRunStatus(s.status) || (s.status === 'paused' && s.taskCounts.running === 0)) return s
        const exec = registry.get(runId)
        if (exec) return exec.settled()
        await sleep(200, undefined, { signal: opts.signal })
      }
    },

    async cancel(runId, reason = 'canceled') {
      await host.guard()
      const summary = registry.get(runId)?.summary ?? (await store.runs.get(runId))
      if (!summary) throw notFound(runId)
      if (isTerminalRunStatus(summary.status)) return structuredClone(summary)
      return control(host, runId, 'cancel', (exec) => exec.cancel(reason), reason)
    },

    pause: (runId) => control(host, runId, 'pause', (exec) => exec.pause()),

    async resume(runId, opts = {}) {
      const token = opts.token
      return control(
        host,
        runId,
        'resume',
        (exec) => exec.resume(opts),
        opts as Json,
        token === undefined ? undefined : () => checkToken(host, runId, token),
      )
    },

    async addTasks(runId, tasks) {
      await host.guard()
      const exec = await executionFor(host, runId)
      if (!(exec instanceof RunExecution)) {
        throw new WeftError('conflict', `run ${runId} is running in another process (${exec.remote.owner})`, {
          hint: 'add tasks through the process (or server) that runs it',
        })
      }
      await exec.addTasks(validatedNewTasks(host, exec, tasks))
      return structuredClone(exec.summary)
    },

    recover: (opts) =>
      recovery.recover(opts).then((reports) => {
        queue.keepAlive()
        return reports
      }),

    async rerun(runId, opts) {
      await host.guard()
      const { spec, reuse } = await rerunPlan(host, runId, opts)
      const run = await launch(host, spec, [], reuse)
      queue.keepAlive()
      return run
    },

    shutdown: (opts) => shutdown(opts?.graceMs ?? 10_000),

    close: () => shutdown(0),
  }
  self = runtime
  return runtime
}
