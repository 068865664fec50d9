/**
 * What one run's execution is given by the process that hosts it: the store, the plugins'
 * backends, cost and context, shared slots and bus, defaults, and the hooks it calls back.
 */
import type {
  Backend,
  BudgetSpec,
  ContextPipeline,
  CostModel,
  RetryPolicy,
  Store,
  WeftEvent,
} from '@weft/spec'
import type { SlotPool } from '../runtime/concurrency.js'
import type { EventBus } from '../runtime/event-bus.js'
import type { AgentProfile } from '../runtime/plan.js'
import type { Clock } from './clock.js'
import type { TaskExecutor } from './dispatch.js'
import type { RunExecution } from './run-execution.js'

export interface ExecutionDeps {
  store: Store
  /** Prices and token counts; without it, estimates come only from backends that give them. */
  cost?: CostModel
  /** Builds and compacts each task's context; without it, `context:` settings are not applied. */
  context?: ContextPipeline
  /** The runtime's default budget (the workflow and the run override it field by field). */
  budget?: BudgetSpec
  bus: EventBus
  slots: SlotPool
  backends: ReadonlyMap<string, Backend>
  agents: Record<string, AgentProfile>
  retryDefaults?: RetryPolicy
  defaultParallelism: number
  workDir: string
  random: () => number
  /** How long a backend may take to stop after its signal aborted before it is abandoned. */
  cancelGraceMs: number
  warn(message: string, context?: unknown): void
  traceSink?: (event: WeftEvent) => void
  /** A slot of the shared pool became free: other runs may dispatch. */
  onSlotFreed(): void
  onFinished(execution: RunExecution): void
  /** Time and timers (retry waits, timeouts); the machine's clock by default. */
  clock?: Clock
  /** Executes dispatched attempts; in this process by default. */
  executor?: TaskExecutor
}
