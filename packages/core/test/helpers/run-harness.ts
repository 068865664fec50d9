/**
 * One run driven directly through `RunExecution` (no host around it), with a clock the test moves:
 * for tests of the run's own behaviour (timers, batches, the reducer) that must not wait for time.
 */

import {
  type Backend,
  type ContextPipeline,
  createMemoryStore,
  type RunSpecInput,
  RunSpecSchema,
  type Store,
  type WeftEvent,
} from '../../src/index.js'
import type { Clock } from '../../src/run/clock.js'
import { type ExecutionDeps, RunExecution } from '../../src/run/run-execution.js'
import { SlotPool } from '../../src/runtime/concurrency.js'
import { EventBus } from '../../src/runtime/event-bus.js'
import { newRunId } from '../../src/runtime/ids.js'

export interface HarnessOptions {
  backends: Backend[]
  clock?: Clock
  store?: Store
  context?: ContextPipeline
  slots?: number
  cancelGraceMs?: number
  random?: () => number
}

export function runHarness(o: HarnessOptions) {
  const store = o.store ?? createMemoryStore()
  const live = new Set<RunExecution>()
  const deps: ExecutionDeps = {
    store,
    bus: new EventBus(),
    slots: new SlotPool(o.slots ?? 16),
    backends: new Map(o.backends.map((b) => [b.id, b])),
    agents: {},
    defaultParallelism: 4,
    workDir: process.cwd(),
    random: o.random ?? (() => 0.5),
    cancelGraceMs: o.cancelGraceMs ?? 500,
    warn: () => {},
    onSlotFreed: () => {
      for (const e of live) e.pump()
    },
    onFinished: (e) => {
      live.delete(e)
    },
    ...(o.clock ? { clock: o.clock } : {}),
    ...(o.context ? { context: o.context } : {}),
  }
  return {
    store,
    deps,
    async start(spec: RunSpecInput): Promise<RunExecution> {
      await store.init()
      const exec = await RunExecution.create(deps, newRunId(), RunSpecSchema.parse(spec), [])
      live.add(exec)
      await exec.begin()
      return exec
    },
    async events(runId: string): Promise<WeftEvent[]> {
      return store.events.read(runId, { limit: 1_000_000 })
    },
  }
}

/** Lets every pending promise callback and I/O callback run (no timers: the clock is manual). */
export async function drain(rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((r) => setImmediate(r))
}
