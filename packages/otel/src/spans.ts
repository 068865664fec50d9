/**
 * Runs as span trees, built from the events a runtime commits: run → task → attempt → backend call.
 * Each span starts and ends at the time of the event that opens or closes it, so the tree shows what
 * the event log says, not when this sink happened to see it. Approvals, waits, pauses, retries and
 * budget stops are span events; failures are recorded exceptions with an error status.
 */
import {
  type Attributes,
  type Context,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  type Tracer,
  trace,
} from '@opentelemetry/api'
import type {
  BackendCallEnd,
  BackendCallSpan,
  BackendCallStart,
  ErrorInfo,
  TraceContext,
  WeftEvent,
} from '@weft/spec'
import { GEN_AI, providerOf, WEFT } from './attributes.js'
import { attemptSpanId, type PlannedIds, runTraceId } from './ids.js'
import { addRunEvent } from './run-events.js'
import { errorInfoOf, fail, remoteContext, usageAttributes } from './span-attributes.js'

interface Open {
  span: Span
  ctx: Context
}
interface AttemptTrace extends Open {
  n: number
  ended?: boolean
  /** The backend call's span: ended with the attempt, once the priced usage is known. */
  call?: HeldCall
}
interface HeldCall {
  span: Span
  endAt?: Date
  /** Ended with its attempt (canceled, timed out) before the backend returned. */
  done?: boolean
}
interface TaskTrace extends Open {
  attempt?: AttemptTrace
}
interface RunTrace extends Open {
  name: string
  tasks: Map<string, TaskTrace>
}

type SpanOptions = Parameters<Tracer['startSpan']>[1]

export class RunSpans {
  private readonly runs = new Map<string, RunTrace>()

  constructor(
    private readonly tracer: Tracer,
    private readonly ids: PlannedIds,
  ) {}

  /** A span with planned ids (see ids.ts): attempts and backend calls, and the run's trace. */
  private start(
    name: string,
    options: SpanOptions,
    ctx: Context,
    ids: { traceId?: string; spanId?: string },
  ): Span {
    this.ids.plan(ids)
    try {
      return this.tracer.startSpan(name, options, ctx)
    } finally {
      this.ids.clear()
    }
  }

  /** Runs with spans still open. */
  get openRuns(): number {
    return this.runs.size
  }

  event(e: WeftEvent): void {
    const at = new Date(e.ts)
    switch (e.type) {
      case 'run.created':
        this.startRun(e.runId, e.data.name, at, e.data.trace, {
          ...(e.data.source ? { [WEFT.source]: e.data.source } : {}),
          [WEFT.tasks]: e.data.taskIds.length,
        })
        return
      case 'run.recovered': {
        // Another process ran it before: its spans there ended with that process; these continue
        // the trace the run was started in (when it was started in one).
        const run =
          this.runs.get(e.runId) ?? this.startRun(e.runId, e.data.name ?? 'recovered', at, e.data.trace, {})
        run.span.setAttribute(WEFT.recovered, true)
        run.span.addEvent('weft.run.recovered', { [WEFT.owner]: e.data.owner }, at)
        return
      }
      case 'run.started':
      case 'run.paused':
      case 'run.resumed':
      case 'run.canceling':
      case 'run.compensating':
      case 'compensation.started':
      case 'compensation.succeeded':
      case 'compensation.failed':
      case 'compensation.canceled':
      case 'budget.exceeded':
      case 'diagnostic': {
        const run = this.run(e)
        if (run) addRunEvent(run.span, e, at)
        return
      }
      case 'task.queued':
        if (e.taskId) this.task(e.runId, e.taskId, at)
        return
      case 'task.started': {
        if (!e.taskId) return
        const task = this.task(e.runId, e.taskId, at)
        if (!task) return
        this.endAttempt(task, at, undefined)
        const n = e.attempt ?? 1
        const est = e.data.estimate
        const span = this.start(
          `weft.attempt ${e.taskId}#${n}`,
          {
            startTime: at,
            attributes: {
              [WEFT.taskId]: e.taskId,
              [WEFT.attempt]: n,
              ...(e.data.backend ? { [WEFT.backend]: e.data.backend } : {}),
              ...(e.data.model ? { [GEN_AI.requestModel]: e.data.model } : {}),
              ...(est ? { [WEFT.estimateInputTokens]: est.inputTokens } : {}),
              ...(est ? { [WEFT.estimateOutputTokens]: est.outputTokens } : {}),
              ...(est?.costUsd !== undefined ? { [WEFT.estimateCostUsd]: est.costUsd } : {}),
            },
          },
          task.ctx,
          { spanId: attemptSpanId(e.runId, e.taskId, n) },
        )
        task.attempt = { span, ctx: trace.setSpan(task.ctx, span), n }
        return
      }
      case 'usage.recorded': {
        // A compensation's usage is not its task's last attempt's (it counts in the metrics only).
        if (e.data.purpose === 'compensate') return
        const attempt = this.existingTask(e)?.attempt
        attempt?.span.setAttributes(usageAttributes(e.data, e.data.model))
        // The cost the runtime priced (from the catalog, or the backend's own) on the GenAI span too.
        if (attempt?.call && e.data.costUsd !== undefined && e.data.purpose === undefined)
          attempt.call.span.setAttribute(WEFT.costUsd, e.data.costUsd)
        return
      }
      case 'tool.started':
      case 'tool.finished': {
        const target = this.existingTask(e)?.attempt?.span
        target?.addEvent(
          e.type === 'tool.started' ? 'weft.tool.started' : 'weft.tool.finished',
          { 'weft.tool.name': e.data.name, 'weft.tool.id': e.data.toolId },
          at,
        )
        return
      }
      case 'task.retry_scheduled': {
        const task = this.existingTask(e)
        if (!task) return
        const retry = {
          [WEFT.retryDelayMs]: e.data.delayMs,
          [WEFT.retryNextAttempt]: e.data.nextAttempt,
          [WEFT.retryMaxAttempts]: e.data.maxAttempts,
        }
        task.attempt?.span.setAttributes(retry)
        this.endAttempt(task, at, e.data.error)
        task.span.addEvent('weft.retry_scheduled', { ...retry, 'error.type': e.data.error.code }, at)
        return
      }
      case 'task.interrupted': {
        const task = this.existingTask(e)
        if (task) this.endAttempt(task, at, { code: 'interrupted', message: e.data.reason, retryable: true })
        return
      }
      case 'task.waiting': {
        const task = e.taskId ? this.task(e.runId, e.taskId, at) : undefined
        task?.span.addEvent('weft.approval.waiting', { 'weft.message': e.data.message }, at)
        return
      }
      case 'task.approved':
        this.existingTask(e)?.span.addEvent(
          'weft.approval.approved',
          e.data.via ? { 'weft.approval.via': e.data.via } : {},
          at,
        )
        return
      case 'task.succeeded': {
        const task = this.existingTask(e)
        if (!task) return
        this.endAttempt(task, at, undefined)
        task.span.setAttributes({
          [WEFT.taskStatus]: 'succeeded',
          [WEFT.durationMs]: e.data.durationMs,
          ...(e.data.usage ? usageAttributes(e.data.usage) : {}),
        })
        task.span.setStatus({ code: SpanStatusCode.OK })
        this.endTask(e.runId, e.taskId!, task, at)
        return
      }
      case 'task.failed': {
        const task = this.existingTask(e) ?? (e.taskId ? this.task(e.runId, e.taskId, at) : undefined)
        if (!task) return
        this.endAttempt(task, at, e.data.error)
        task.span.setAttributes({ [WEFT.taskStatus]: 'failed', [WEFT.attempt]: e.data.attempts })
        fail(task.span, e.data.error, at)
        this.endTask(e.runId, e.taskId!, task, at)
        return
      }
      case 'task.canceled':
      case 'task.skipped':
      case 'task.reused': {
        if (!e.taskId) return
        const task = this.task(e.runId, e.taskId, at)
        if (!task) return
        const status = e.type.slice('task.'.length)
        this.endAttempt(task, at, undefined)
        task.span.setAttribute(WEFT.taskStatus, status)
        if (e.type === 'task.reused') task.span.setAttribute(WEFT.reusedFrom, e.data.fromRunId)
        else task.span.setAttribute(WEFT.reason, e.data.reason)
        this.endTask(e.runId, e.taskId, task, at)
        return
      }
      case 'run.succeeded':
      case 'run.failed':
      case 'run.canceled': {
        const run = this.runs.get(e.runId)
        if (!run) return
        for (const [taskId, task] of run.tasks) {
          this.endAttempt(task, at, undefined)
          task.span.setAttribute(WEFT.taskStatus, 'unfinished')
          this.endTask(e.runId, taskId, task, at)
        }
        const status = e.type.slice('run.'.length)
        run.span.setAttributes({
          [WEFT.runStatus]: status,
          [WEFT.durationMs]: e.data.durationMs,
          ...usageAttributes(e.data.usage),
        })
        if (e.type === 'run.failed') fail(run.span, e.data.error, at)
        else if (e.type === 'run.succeeded') run.span.setStatus({ code: SpanStatusCode.OK })
        else run.span.setAttribute(WEFT.reason, e.data.reason)
        run.span.end(at)
        this.runs.delete(e.runId)
        return
      }
    }
  }

  /** The span of a backend call, under its attempt; its context goes to the backend. */
  backendCall(call: BackendCallStart): BackendCallSpan {
    const run = this.runs.get(call.runId)
    const task = run?.tasks.get(call.taskId)
    const parent = task?.attempt?.ctx ?? task?.ctx ?? run?.ctx ?? ROOT_CONTEXT
    const operation = call.capabilities.tools ? 'invoke_agent' : call.capabilities.usage ? 'chat' : undefined
    const name = operation
      ? `${operation}${call.model ? ` ${call.model}` : ''}`
      : `weft.backend ${call.backend}`
    const span = this.start(
      name,
      {
        kind: SpanKind.CLIENT,
        startTime: new Date(call.ts),
        attributes: {
          [WEFT.backend]: call.backend,
          [WEFT.taskId]: call.taskId,
          [WEFT.attempt]: call.attempt,
          ...(operation
            ? { [GEN_AI.operationName]: operation, [GEN_AI.providerName]: providerOf(call.backend) }
            : {}),
          ...(call.model ? { [GEN_AI.requestModel]: call.model } : {}),
        },
      },
      parent,
      { spanId: attemptSpanId(call.runId, call.taskId, call.attempt, true) },
    )
    const attempt = task?.attempt?.n === call.attempt ? task.attempt : undefined
    const held: HeldCall | undefined = attempt ? { span } : undefined
    if (attempt && held) attempt.call = held
    const sc = span.spanContext()
    const sampled = (sc.traceFlags & TraceFlags.SAMPLED) === TraceFlags.SAMPLED
    return {
      context: { traceparent: `00-${sc.traceId}-${sc.spanId}-${sampled ? '01' : '00'}` },
      end(outcome: BackendCallEnd) {
        if (held?.done) return
        const at = new Date(outcome.ts)
        if (outcome.ok) {
          const usage = outcome.result.usage
          if (usage) span.setAttributes(usageAttributes(usage, usage.model, true))
          if (outcome.result.sessionId) span.setAttribute(GEN_AI.conversationId, outcome.result.sessionId)
          span.setStatus({ code: SpanStatusCode.OK })
        } else {
          fail(span, errorInfoOf(outcome.error), at)
        }
        // Under an open attempt the span ends with it (at this time), after `usage.recorded`.
        if (held && attempt?.call === held && !attempt.ended) held.endAt = at
        else span.end(at)
      },
    }
  }

  /** Ends what is still open (the runtime stopped with runs unfinished): their spans say so. */
  endAll(at: Date): void {
    for (const [runId, run] of this.runs) {
      for (const [taskId, task] of run.tasks) {
        this.endAttempt(task, at, undefined)
        task.span.setAttribute(WEFT.taskStatus, 'interrupted')
        this.endTask(runId, taskId, task, at)
      }
      run.span.setAttribute(WEFT.runStatus, 'interrupted')
      run.span.end(at)
    }
    this.runs.clear()
  }

  private startRun(
    runId: string,
    name: string,
    at: Date,
    parent: TraceContext | undefined,
    attributes: Attributes,
  ): RunTrace {
    const parentCtx = parent ? remoteContext(parent) : ROOT_CONTEXT
    // Without a caller's trace the trace id comes from the run id: a process that continues the
    // run later puts its spans in the same trace.
    const span = this.start(
      `weft.run ${name}`,
      { startTime: at, attributes: { [WEFT.runId]: runId, [WEFT.workflow]: name, ...attributes } },
      parentCtx,
      { traceId: runTraceId(runId, parent) },
    )
    const run: RunTrace = { span, ctx: trace.setSpan(parentCtx, span), name, tasks: new Map() }
    this.runs.set(runId, run)
    return run
  }

  private run(e: WeftEvent): RunTrace | undefined {
    return this.runs.get(e.runId)
  }

  private existingTask(e: WeftEvent): TaskTrace | undefined {
    return e.taskId ? this.runs.get(e.runId)?.tasks.get(e.taskId) : undefined
  }

  /** The task's span, started at `at` when it has none yet. */
  private task(runId: string, taskId: string, at: Date): TaskTrace | undefined {
    const run = this.runs.get(runId)
    if (!run) return undefined
    let task = run.tasks.get(taskId)
    if (!task) {
      const span = this.tracer.startSpan(
        `weft.task ${taskId}`,
        { startTime: at, attributes: { [WEFT.taskId]: taskId } },
        run.ctx,
      )
      task = { span, ctx: trace.setSpan(run.ctx, span) }
      run.tasks.set(taskId, task)
    }
    return task
  }

  private endAttempt(task: TaskTrace, at: Date, error: ErrorInfo | undefined): void {
    const attempt = task.attempt
    if (!attempt) return
    attempt.ended = true
    if (attempt.call) {
      attempt.call.done = true
      attempt.call.span.end(attempt.call.endAt ?? at)
    }
    if (error) fail(attempt.span, error, at)
    else attempt.span.setStatus({ code: SpanStatusCode.OK })
    attempt.span.end(at)
    task.attempt = undefined
  }

  private endTask(runId: string, taskId: string, task: TaskTrace, at: Date): void {
    task.span.end(at)
    this.runs.get(runId)?.tasks.delete(taskId)
  }
}
