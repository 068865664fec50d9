/**
 * The conformance suite every backend must pass. It checks the contract of `@weft/core`'s
 * `Backend` twice: directly, by calling `execute` with a hand-made `TaskContext` (so a failure
 * points at the backend, not at the runtime), and through `createRuntime` with a workflow that
 * uses the backend (so the backend also works where it is actually used).
 */
import {
  BACKEND_ERROR_CODES,
  BACKEND_SPECIFICATION_VERSION,
  type Backend,
  type BackendErrorCode,
  createRuntime,
  type Runtime,
  type TaskRequest,
  type TaskResult,
} from '@weft/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { attemptOf, type HandMadeAttempt } from './attempt.js'
import {
  expectBackendError,
  expectJson,
  expectQuietAfterSettle,
  expectValidEvents,
  expectValidResult,
} from './backend-suite/checks.js'
import {
  abandoned,
  captureRejection,
  delay,
  taskSpecOf,
  untilRunning,
  within,
} from './backend-suite/helpers.js'

// Still exported from here, where it lived before the checks had a file of their own.
export { backendEventProblem } from './backend-suite/checks.js'

/** A request for one behaviour; unset fields get neutral defaults (attempt 1, no options, ...). */
export type ScenarioRequest = Partial<TaskRequest>

/** How the suite asks a backend for each behaviour it checks. */
export interface BackendScenario {
  /** A request that succeeds. `expect` may check the result further (throw or use `expect`). */
  succeed: { request: ScenarioRequest; expect?: (result: TaskResult) => void | Promise<void> }
  /** A request that fails; `code` is the `BackendError` code it must fail with. */
  fail?: { request: ScenarioRequest; code?: BackendErrorCode }
  /** A request that runs until its signal aborts: used to test cancel and timeout. */
  hang?: { request: ScenarioRequest }
  /** A request during which the backend emits at least one event. */
  emitsEvents?: { request: ScenarioRequest }
  /** How long a backend may take to stop after its signal aborted. Default 5000 ms. */
  stopWithinMs?: number
  /** How long `hang` runs before it is aborted, so the backend is really working. Default 200 ms. */
  settleMs?: number
  /** `ctx.workDir` of the hand-made contexts and of the runtime. Default `process.cwd()`. */
  workDir?: string
}

const CAPABILITIES = ['streaming', 'events', 'cancel', 'pause', 'resumeSession', 'usage', 'tools'] as const

let sequence = 0

export function describeBackend(
  name: string,
  factory: () => Backend | Promise<Backend>,
  scenarios: BackendScenario,
): void {
  const stopWithinMs = scenarios.stopWithinMs ?? 5000
  const settleMs = scenarios.settleMs ?? 200
  const workDir = scenarios.workDir ?? process.cwd()

  function harness(partial: ScenarioRequest): HandMadeAttempt {
    const n = ++sequence
    const request: TaskRequest = {
      runId: `run_conformance_${process.pid}_${n}`,
      taskId: 'conformance',
      attempt: 1,
      options: {},
      upstream: {},
      ...partial,
    }
    return attemptOf(request, workDir, { logsAsEvents: true })
  }

  describe(`backend conformance: ${name}`, () => {
    let backend: Backend

    beforeAll(async () => {
      backend = await factory()
    })
    afterAll(async () => {
      await backend?.dispose?.()
    })

    describe('metadata', () => {
      it('declares the v1 specification, an id and a label', () => {
        expect(backend.specificationVersion).toBe(BACKEND_SPECIFICATION_VERSION)
        expect(typeof backend.id).toBe('string')
        // Workflows name it in `backend:`; keep it a plain identifier.
        expect(backend.id).toMatch(/^[A-Za-z0-9][A-Za-z0-9._-]*$/)
        expect(typeof backend.label).toBe('string')
        expect(backend.label.length).toBeGreaterThan(0)
        expect(typeof backend.execute).toBe('function')
      })

      it('states every capability as a boolean', () => {
        expect(backend.capabilities).toBeTypeOf('object')
        for (const key of CAPABILITIES) {
          expect(typeof backend.capabilities[key], `capabilities.${key}`).toBe('boolean')
        }
      })

      it('implements pause and resume exactly when it claims to', () => {
        if (backend.capabilities.pause) {
          expect(typeof backend.pause).toBe('function')
          expect(typeof backend.resume).toBe('function')
        }
        // Either both or neither: a backend that can only pause would leave tasks stopped.
        expect(typeof backend.pause === 'function').toBe(typeof backend.resume === 'function')
      })

      it('gives an options schema that zod can use, if any', () => {
        if (!backend.optionsSchema) return
        expect(typeof backend.optionsSchema.safeParse).toBe('function')
      })

      it('declares a hang scenario when it claims to cancel', () => {
        // Without one the suite cannot check that cancel and timeouts stop the backend.
        if (backend.capabilities.cancel) expect(scenarios.hang, 'scenarios.hang').toBeDefined()
      })
    })

    describe('execute', () => {
      it('succeeds with a JSON-serialisable result and valid events', async () => {
        const h = harness(scenarios.succeed.request)
        const result = await backend.execute(h.request, h.ctx)
        expectValidResult(result)
        expectValidEvents(h.events)
        await scenarios.succeed.expect?.(result)
        await expectQuietAfterSettle(h.events)
      })

      it('runs two attempts at the same time without mixing them up', async () => {
        const a = harness({ ...scenarios.succeed.request, taskId: 'conformance_a' })
        const b = harness({ ...scenarios.succeed.request, taskId: 'conformance_b' })
        const [ra, rb] = await Promise.all([
          backend.execute(a.request, a.ctx),
          backend.execute(b.request, b.ctx),
        ])
        expectValidResult(ra)
        expectValidResult(rb)
      })

      it.runIf(scenarios.fail !== undefined)(
        'fails with a BackendError that has a valid code and retryable flag',
        async () => {
          const h = harness(scenarios.fail!.request)
          const error = await captureRejection(backend.execute(h.request, h.ctx))
          expectBackendError(error)
          if (scenarios.fail!.code) expect((error as { code: string }).code).toBe(scenarios.fail!.code)
          expectValidEvents(h.events)
        },
      )

      it.runIf(scenarios.emitsEvents !== undefined)('emits valid events while it runs', async () => {
        const h = harness(scenarios.emitsEvents!.request)
        await backend.execute(h.request, h.ctx).catch(() => undefined)
        expect(h.events.length, 'events emitted').toBeGreaterThan(0)
        expectValidEvents(h.events)
      })

      it('rejects promptly when the signal is already aborted', async () => {
        const h = harness(scenarios.hang?.request ?? scenarios.succeed.request)
        h.controller.abort({ kind: 'cancel', message: 'canceled before it started' })
        const error = await within(
          stopWithinMs,
          captureRejection(backend.execute(h.request, h.ctx)),
          'an already-aborted signal',
        )
        expectBackendError(error)
        expect(['canceled', 'timeout']).toContain((error as { code: string }).code)
      })
    })

    describe.runIf(scenarios.hang !== undefined)('cancel', () => {
      /** Runs `hang`, aborts its signal once the backend is working, and checks it stops with a BackendError. */
      async function abortHang(reason: { kind: 'cancel' | 'timeout'; message: string }) {
        const h = harness(scenarios.hang!.request)
        const running = captureRejection(backend.execute(h.request, h.ctx))
        await delay(settleMs)
        h.controller.abort(reason)
        const error = await within(stopWithinMs, running, reason.kind)
        expectBackendError(error)
        return { code: (error as { code: string }).code, events: h.events }
      }

      it('stops with a canceled BackendError soon after the signal aborts', async () => {
        const { code, events } = await abortHang({
          kind: 'cancel',
          message: 'canceled by the conformance suite',
        })
        expect(code).toBe('canceled')
        expectValidEvents(events)
        await expectQuietAfterSettle(events)
      })

      it('stops soon after a timeout aborts the signal', async () => {
        const { code } = await abortHang({ kind: 'timeout', message: 'timed out in the conformance suite' })
        expect(['timeout', 'canceled']).toContain(code)
      })
    })

    describe('lifecycle', () => {
      it('answers healthcheck with { ok: boolean }, if it has one', async () => {
        if (!backend.healthcheck) return
        const health = await backend.healthcheck()
        expect(typeof health.ok).toBe('boolean')
        if (health.details !== undefined) expect(typeof health.details).toBe('string')
        if (health.version !== undefined) expect(typeof health.version).toBe('string')
      })

      it('can be disposed twice, if it has dispose', async () => {
        // A fresh instance, so the other tests keep theirs.
        const own = await factory()
        if (!own.dispose) return
        await own.dispose()
        await own.dispose()
      })
    })

    describe('through createRuntime', () => {
      let runtime: Runtime | undefined

      afterAll(async () => {
        await runtime?.close()
      })

      function start(request: ScenarioRequest, extra: { timeoutMs?: number } = {}) {
        // A high grace: the run must end because the backend stopped, not because it was abandoned.
        runtime ??= createRuntime({
          backends: [backend],
          workDir,
          cancelGraceMs: 60_000,
          reporter: { warn: () => {} },
        })
        return runtime.start({
          workflow: {
            weft: 1,
            name: `conformance-${backend.id}`,
            defaults: { retry: { maxAttempts: 1 } },
            tasks: { work: { backend: backend.id, ...taskSpecOf(request), ...extra } },
          },
        })
      }

      it('runs a workflow task to success', async () => {
        const run = await start(scenarios.succeed.request)
        const done = await within(30_000, runtime!.wait(run.id), 'the run')
        const [task] = await runtime!.tasks(run.id)
        expect(done.status, JSON.stringify(task?.error)).toBe('succeeded')
        expect(task?.status).toBe('succeeded')
        expectJson(task?.output ?? null, 'task output')
      })

      it.runIf(scenarios.fail !== undefined)(
        'records a failed task with the backend error code',
        async () => {
          const run = await start(scenarios.fail!.request)
          const done = await within(30_000, runtime!.wait(run.id), 'the run')
          const [task] = await runtime!.tasks(run.id)
          expect(done.status).toBe('failed')
          expect(task?.status).toBe('failed')
          expect(BACKEND_ERROR_CODES as readonly string[]).toContain(task?.error?.code)
          if (scenarios.fail!.code) expect(task?.error?.code).toBe(scenarios.fail!.code)
        },
      )

      it.runIf(scenarios.hang !== undefined)('cancels a running task', async () => {
        const run = await start(scenarios.hang!.request)
        await untilRunning(runtime!, run.id)
        await delay(settleMs)
        await runtime!.cancel(run.id, 'conformance cancel')
        const done = await within(stopWithinMs + 2000, runtime!.wait(run.id), 'a canceled run')
        expect(done.status).toBe('canceled')
        const [task] = await runtime!.tasks(run.id)
        expect(task?.status).toBe('canceled')
        expect(await abandoned(runtime!, run.id), 'the runtime had to abandon the backend').toBe(false)
      })

      it.runIf(scenarios.hang !== undefined)('fails a task that exceeds its timeoutMs', async () => {
        const run = await start(scenarios.hang!.request, { timeoutMs: settleMs + 100 })
        const done = await within(
          settleMs + 100 + stopWithinMs + 2000,
          runtime!.wait(run.id),
          'a timed-out run',
        )
        expect(done.status).toBe('failed')
        const [task] = await runtime!.tasks(run.id)
        expect(task?.status).toBe('failed')
        expect(task?.error?.code).toBe('timeout')
        expect(await abandoned(runtime!, run.id), 'the runtime had to abandon the backend').toBe(false)
      })
    })
  })
}
