/**
 * The runtime's trace sinks as one: every committed event, the runtime's lifecycle and each
 * backend call go to every sink. Sinks only watch, so a sink that throws is a warning, never a
 * failed run. Without sinks nothing here runs: backends are not wrapped and events go nowhere.
 */
import type {
  Backend,
  BackendCallEnd,
  BackendCallSpan,
  BackendCallStart,
  RuntimeLifecycleEvent,
  TraceSink,
  WeftEvent,
} from '@weft/spec'
import { TRACE_SINK_SPECIFICATION_VERSION } from '@weft/spec'

/** How long shutdown waits for a sink to flush and close. */
const STOP_TIMEOUT_MS = 5000

export class Tracing {
  private readonly sinks: readonly TraceSink[]
  private readonly callSinks: readonly TraceSink[]

  constructor(
    sinks: TraceSink | readonly TraceSink[] | undefined,
    private readonly warn: (message: string) => void,
    private readonly iso: () => string,
  ) {
    this.sinks = sinks === undefined ? [] : Array.isArray(sinks) ? [...sinks] : [sinks as TraceSink]
    for (const s of this.sinks) {
      if (s?.specificationVersion !== TRACE_SINK_SPECIFICATION_VERSION && typeof s?.event === 'function') {
        throw new TypeError(
          `trace sink ${s.name ?? ''} implements ${String(s.specificationVersion)}, this runtime ${TRACE_SINK_SPECIFICATION_VERSION}: update the package that provides it`,
        )
      }
      if (typeof s?.event !== 'function') {
        throw new TypeError(
          'traceSink must implement TraceSink from @weft/spec ({ specificationVersion, name, event(e) }); wrap a callback with defineTraceSink({ name, event })',
        )
      }
    }
    this.callSinks = this.sinks.filter((s) => typeof s.backendCall === 'function')
  }

  get active(): boolean {
    return this.sinks.length > 0
  }

  /** The function the runs call with each published event, or undefined without sinks. */
  eventListener(): ((event: WeftEvent) => void) | undefined {
    if (this.sinks.length === 0) return undefined
    if (this.sinks.length === 1) {
      const sink = this.sinks[0]!
      return (event) => sink.event(event)
    }
    return (event) => {
      for (const sink of this.sinks) this.guard(sink, 'event', () => sink.event(event))
    }
  }

  lifecycle(event: RuntimeLifecycleEvent): void {
    for (const sink of this.sinks) this.guard(sink, 'lifecycle', () => sink.lifecycle?.(event))
  }

  /**
   * The backends as the runs see them: with sinks that follow backend calls, each call is announced
   * to them and the request carries the trace context they give. The originals are untouched.
   */
  wrapBackends(backends: ReadonlyMap<string, Backend>): ReadonlyMap<string, Backend> {
    if (this.callSinks.length === 0) return backends
    return new Map([...backends].map(([id, b]) => [id, this.traced(b)]))
  }

  /**
   * Flushes and closes every sink; one that fails is a warning. A sink gets `timeoutMs` for both
   * (an exporter whose collector does not answer must not hold the runtime's shutdown).
   */
  async stop(timeoutMs = STOP_TIMEOUT_MS): Promise<void> {
    await Promise.all(
      this.sinks.map(async (sink) => {
        let timer: NodeJS.Timeout | undefined
        const closing = (async () => {
          await sink.flush?.()
          await sink.close?.()
        })()
        const late = new Promise<'late'>((resolve) => {
          timer = setTimeout(() => resolve('late'), timeoutMs)
          timer.unref?.()
        })
        try {
          if ((await Promise.race([closing, late])) === 'late')
            this.warn(
              `trace sink ${sink.name} did not flush within ${timeoutMs} ms; what it still held is lost`,
            )
        } catch (err) {
          this.warn(`trace sink ${sink.name} failed to close: ${(err as Error)?.message ?? String(err)}`)
        } finally {
          clearTimeout(timer)
        }
      }),
    )
  }

  private traced(backend: Backend): Backend {
    const execute: Backend['execute'] = async (request, ctx) => {
      const model = request.model ?? stringOf(request.options.model)
      const start: BackendCallStart = {
        runId: request.runId,
        taskId: request.taskId,
        attempt: request.attempt,
        backend: backend.id,
        ...(model !== undefined ? { model } : {}),
        capabilities: { usage: backend.capabilities.usage, tools: backend.capabilities.tools },
        ts: this.iso(),
      }
      const spans: BackendCallSpan[] = []
      for (const sink of this.callSinks) {
        this.guard(sink, 'backendCall', () => {
          const span = sink.backendCall?.(start)
          if (span) spans.push(span)
        })
      }
      const context = spans.find((s) => s.context)?.context
      const end = (outcome: BackendCallEnd) => {
        for (const span of spans) this.guardCall(() => span.end(outcome))
      }
      try {
        const result = await backend.execute(context ? { ...request, trace: context } : request, ctx)
        end({ ok: true, result, ts: this.iso() })
        return result
      } catch (error) {
        end({ ok: false, error, ts: this.iso() })
        throw error
      }
    }
    // A proxy, not a copy: only `execute` is wrapped; every other method runs on the backend itself
    // (class instances with private fields included).
    return new Proxy(backend, {
      get(target, prop) {
        if (prop === 'execute') return execute
        const value = Reflect.get(target, prop, target)
        return typeof value === 'function' ? value.bind(target) : value
      },
    })
  }

  private guard(sink: TraceSink, what: string, fn: () => void): void {
    try {
      fn()
    } catch (err) {
      this.warn(`trace sink ${sink.name} failed (${what}): ${(err as Error)?.message ?? String(err)}`)
    }
  }

  private guardCall(fn: () => void): void {
    try {
      fn()
    } catch (err) {
      this.warn(`a trace sink failed to end a backend call: ${(err as Error)?.message ?? String(err)}`)
    }
  }
}

function stringOf(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined
}
