import { hasCapability, newRunId, type Store } from '@weft/core'
import { afterEach, beforeEach, describe } from 'vitest'
import { buildCreateCommit } from './fixtures.js'
import { describeRuntimeOnStore } from './runtime-suite.js'
import { describeArtifacts } from './store-suite/artifacts.js'
import { describeDataflowStore } from './store-suite/dataflow.js'
import type { StoreSuite } from './store-suite/helpers.js'
import { describeIdempotency } from './store-suite/idempotency.js'
import { describeLeases } from './store-suite/leases.js'
import { describeMemory } from './store-suite/memory.js'
import { describeMultiProcess } from './store-suite/multi-process.js'
import { describeQueue } from './store-suite/queue.js'
import { describeRunLogCommit } from './store-suite/run-log-commit.js'
import { describeRunLogDelete } from './store-suite/run-log-delete.js'
import { describeRunLogLifecycle } from './store-suite/run-log-lifecycle.js'
import { describeRunLogQueries } from './store-suite/run-log-queries.js'
import { describeRunLogRuntime } from './store-suite/run-log-runtime.js'
import { describeSchedules } from './store-suite/schedules.js'
import { describeSignals } from './store-suite/signals.js'
import { describeTaskQuery } from './store-suite/task-query.js'

/**
 * Opens a fresh, EMPTY store for one test. The suite calls `init()` and `close()` itself; `cleanup`
 * runs after `close()` (delete a temp file, drop a schema, …). `openAgain`, when given, opens
 * another handle on the same store, as a second process would: the multi-process suite uses it
 * for stores that declare `multiProcess`.
 */
export type StoreFactory = () => Promise<{
  store: Store
  cleanup?: () => Promise<void>
  openAgain?: () => Store
}>

/**
 * The conformance suite every `Store` implementation must pass. Call it at the top level of a
 * vitest test file:
 *
 *   describeStore('sqlite', async () => ({ store: createSqliteStore({ path: tmpFile() }) }))
 *
 * It runs the run-log suite, which every store must pass, and the suite of each optional part the
 * store declares in `capabilities` (leases, signals, artifacts, memory, idempotency, dataflow, schedules; multi-process
 * when the factory can open the store again). The capabilities are read from one store the factory
 * makes while the tests are collected (closed again without `init()`).
 */
export function describeStore(name: string, factory: StoreFactory): void {
  describe(`store conformance: ${name}`, async () => {
    const probe = await factory()
    const capabilities = { ...probe.store.capabilities }
    const canReopen = probe.openAgain !== undefined
    const canQueryTasks = probe.store.tasks.query !== undefined
    await probe.store.close()
    await probe.cleanup?.()

    let store: Store
    let cleanup: (() => Promise<void>) | undefined
    let openAgain: (() => Store) | undefined
    const others: Store[] = []

    beforeEach(async () => {
      const made = await factory()
      store = made.store
      cleanup = made.cleanup
      openAgain = made.openAgain
      await store.init()
    })

    afterEach(async () => {
      for (const other of others.splice(0)) await other.close()
      await store.close()
      await cleanup?.()
    })

    const suite: StoreSuite = {
      get store() {
        return store
      },
      capabilities,
      async createRun(options = {}, runId = newRunId()) {
        const commit = buildCreateCommit(runId, options)
        const stored = await store.commit(commit)
        return { runId, commit, stored }
      },
      async snapshot(runId) {
        return {
          summary: await store.runs.get(runId),
          spec: await store.runs.getSpec(runId),
          tasks: await store.tasks.list(runId),
          events: await store.events.read(runId),
          list: await store.runs.list(),
          memory: hasCapability(store, 'memory') ? await store.memory.list(`run:${runId}`) : [],
        }
      },
      ...(canReopen
        ? {
            async openAgain() {
              const other = openAgain!()
              others.push(other)
              await other.init()
              return other
            },
          }
        : {}),
    }

    // Required of every store.
    describeRunLogLifecycle(suite)
    describeRunLogCommit(suite)
    describeRunLogQueries(suite)
    describeRunLogDelete(suite)
    describeRunLogRuntime(suite)
    // Optional parts, each when the store declares it.
    if (capabilities.signals) describeSignals(suite)
    if (capabilities.leases) describeLeases(suite)
    if (capabilities.artifacts) describeArtifacts(suite)
    if (capabilities.memory) describeMemory(suite)
    if (capabilities.idempotency) describeIdempotency(suite)
    if (capabilities.dataflow) describeDataflowStore(suite)
    if (capabilities.schedules) describeSchedules(suite)
    if (capabilities.queue) describeQueue(suite)
    if (canQueryTasks) describeTaskQuery(suite)
    if (capabilities.multiProcess && canReopen) describeMultiProcess(suite)
    // A runtime that dies and one that takes over: needs leases (and signals) to tell them apart.
    if (capabilities.leases && capabilities.signals) describeRuntimeOnStore(() => store)
  })
}
