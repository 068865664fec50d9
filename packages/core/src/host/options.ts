/**
 * What a runtime is composed of: the store, the backends and the policies that `createRuntime`
 * takes.
 */
import type {
  Backend,
  BudgetSpec,
  ContextPipeline,
  CostModel,
  DiagnosticsMode,
  RetryPolicy,
  Store,
  TraceSink,
  WeftPlugin,
} from '@weft/spec'
import type { Clock } from '../run/clock.js'
import type { TaskExecutor } from '../run/dispatch.js'
import type { AgentProfile } from '../runtime/plan.js'

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
  /**
   * Where traces go (`TraceSink` of `@weft/spec`): `@weft/otel` exports OpenTelemetry spans and
   * metrics, `createJsonlTraceSink` writes JSON Lines. A sink receives every committed event (and
   * live deltas), the runtime's `runtime.started`/`runtime.stopped`, and each backend call (whose
   * trace context then reaches the backend as `request.trace`). Flushed and closed on shutdown.
   */
  traceSink?: TraceSink | readonly TraceSink[]
  /** The least specific retry policy; backends, workflows, tasks and runs override it. */
  retryDefaults?: RetryPolicy
  /** Working directory handed to backends. Default: `process.cwd()`. */
  workDir?: string
  /** Where `uses: <name>` finds a subworkflow (`<name>.yaml`); paths resolve from the parent's file. */
  workflowsDir?: string
  /** How long a canceled backend may take to stop before it is abandoned. Default 5000 ms. */
  cancelGraceMs?: number
  /** How often to look for cancel/pause/resume requests from other processes. Default 250 ms. */
  signalPollMs?: number
  /** How often the durable queue flag is read from the store (default 250 ms). */
  queuePollMs?: number
  /** Source of randomness for retry jitter (tests pass a fixed one). */
  random?: () => number
  /** Time for retry waits and timeouts (tests pass a manual clock). Default: the machine's clock. */
  clock?: Clock
  /**
   * This runtime's name in run leases. Default `host:pid:startTime:random`, which lets a process
   * on the same host tell at once that the holder died (see `RunLease`). A name of another shape
   * is never judged dead: its runs wait for the lease to expire.
   */
  owner?: string
  /**
   * How long a run's lease lasts without a heartbeat (renewed every third of it). After a crash,
   * another process can take the run over once it expires, or at once when the holder ran on the
   * same host and is provably dead. Default 15000 ms.
   */
  leaseTtlMs?: number
  /**
   * With `recover({ keepTrying: true })`: how often to try again the runs that a live lease held.
   * Default a third of `leaseTtlMs`, at most 5 s (a holder on this host that died is noticed then).
   */
  recoveryRetryMs?: number
  /**
   * For a runtime that is the process (a service, a worker): on these signals, `shutdown()` with
   * this grace period, then exit with 128 + the signal number. Off by default: a library does not
   * take over a process's signals unasked.
   */
  shutdownOnSignals?: { signals?: NodeJS.Signals[]; graceMs?: number; exit?: boolean }
  /**
   * Executes the attempts the runs of this runtime dispatch. Default: in this process, with the
   * runtime's backends. `createQueueExecutor` of @weft/storage-postgres puts them in a shared queue
   * that `weft worker` processes claim from.
   */
  executor?: TaskExecutor
}
