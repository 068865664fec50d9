import {
  agentStoreOf,
  type Backend,
  type BackendHealth,
  type Diagnostic,
  type Runtime,
  requireCapability,
  type WorkflowInput,
} from '@weft/core'
import { exportEvents } from '@weft/export'
import type { BackendReport, RunService, StartRequest, WorkflowDocument } from './service.js'

const HEALTH_TIMEOUT_MS = 5000

/** The runs of the local store, run by a runtime in this process. */
export function createLocalService(runtime: Runtime, extraArgs?: string, sharedQueue = false): RunService {
  return {
    kind: 'local',
    ...(sharedQueue
      ? {
          sharedQueue,
          async liveWorkers() {
            const agents = agentStoreOf(runtime.store)
            if (!agents) return 0
            // A worker past its record's expiry is listed as failed: these are the live ones.
            return (await agents.list({ statuses: ['starting', 'idle', 'busy'] })).length
          },
        }
      : {}),
    where: 'this store',
    ...(extraArgs ? { extraArgs } : {}),
    get: (runId) => runtime.get(runId),
    tasks: (runId) => runtime.tasks(runId),
    list: (filter) => runtime.list(filter),
    events: (runId, options) => runtime.events(runId, options),
    wait: (runId, options) => runtime.wait(runId, options),
    cancel: (runId, reason) => runtime.cancel(runId, reason),
    pause: (runId) => runtime.pause(runId),
    resume: (runId, options) => runtime.resume(runId, options),
    rerun: (runId, from) => runtime.rerun(runId, { from, initiator: 'cli' }),
    rerunOf: async (runId) => (await runtime.store.runs.getSpec(runId))?.rerunOf,
    artifacts: (runId) => requireCapability(runtime.store, 'artifacts', 'listing artifacts').list(runId),
    async artifact(runId, name) {
      const found = await requireCapability(runtime.store, 'artifacts', 'reading artifacts').get(runId, name)
      if (!found) return undefined
      return {
        ...(found.ref.contentType !== undefined ? { contentType: found.ref.contentType } : {}),
        data: found.data,
      }
    },
    validate(doc: WorkflowDocument, request: StartRequest): { ok: boolean; diagnostics: Diagnostic[] } {
      const result = runtime.validate(doc.value, {
        file: doc.file,
        locate: doc.locate,
        inputs: request.inputs,
        ...(request.backend ? { backend: request.backend } : {}),
      })
      return { ok: result.ok, diagnostics: result.diagnostics }
    },
    start: (doc, request) =>
      runtime.start(
        {
          workflow: doc.value as WorkflowInput,
          inputs: request.inputs,
          initiator: 'cli',
          source: doc.path,
          ...(request.backend ? { backend: request.backend } : {}),
          ...(request.maxParallelism ? { maxParallelism: request.maxParallelism } : {}),
          ...(request.mode ? { mode: request.mode } : {}),
          ...(request.failFast ? { failFast: true } : {}),
          ...(request.budget ? { budget: request.budget } : {}),
          ...(request.strict ? { diagnostics: 'strict' as const } : {}),
        },
        { file: doc.file, locate: doc.locate, ...(request.detach ? { detach: true } : {}) },
      ),
    async queryEvents(filter, limit) {
      const store = runtime.store
      await store.init()
      return store.events.query({ ...filter, limit })
    },
    async exportEvents(filter, format, out) {
      const store = runtime.store
      await store.init()
      return exportEvents(store, filter, format, out)
    },
    backends: () => Promise.all([...runtime.backends.values()].map(report)),
    async stopFollowing(runId, graceMs) {
      await runtime.shutdown({ graceMs })
      if (!runId) return 'stopped before the run started'
      return `stopped: run ${runId} was handed over; continue it with \`weft runs recover ${runId}${extraArgs ? ` ${extraArgs}` : ''}\``
    },
    close: () => runtime.close(),
  }
}

/** A healthcheck that throws or hangs is reported as unhealthy, not as a crash of the command. */
async function report(b: Backend): Promise<BackendReport> {
  const base = { id: b.id, label: b.label, capabilities: b.capabilities }
  if (!b.healthcheck) return base
  let timer: NodeJS.Timeout | undefined
  try {
    const health = await Promise.race([
      b.healthcheck(),
      new Promise<BackendHealth>((resolve) => {
        timer = setTimeout(
          () => resolve({ ok: false, details: `no answer within ${HEALTH_TIMEOUT_MS} ms` }),
          HEALTH_TIMEOUT_MS,
        )
      }),
    ])
    return { ...base, health }
  } catch (err) {
    return { ...base, health: { ok: false, details: (err as Error).message } }
  } finally {
    if (timer) clearTimeout(timer)
  }
}
