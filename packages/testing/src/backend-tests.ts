/**
 * Helpers for a backend's own tests: the error an attempt failed with, a fake model server per
 * test file, and the check that a streamed answer stops when its attempt is aborted.
 */
import { type Backend, type BackendError, isBackendError } from '@weft/core'
import { expect } from 'vitest'
import { handMadeAttempt } from './attempt.js'
import {
  type FakeModelServer,
  type FakeModelServerOptions,
  startFakeModelServer,
} from './fake-models/index.js'
import { perFile } from './per-file.js'
import { delay } from './processes.js'

/** The BackendError `promise` rejects with; the test fails if it resolves or rejects with anything else. */
export async function backendFailure(promise: Promise<unknown>): Promise<BackendError> {
  const error = await promise.then(
    () => undefined,
    (err: unknown) => err,
  )
  expect(isBackendError(error), String(error)).toBe(true)
  return error as BackendError
}

/**
 * A fake model server for the test file: started before its tests, closed after them. The handle
 * can be taken at once (at the top of the file); it reaches the server once it runs.
 */
export function useFakeModelServer(options?: FakeModelServerOptions): FakeModelServer {
  return perFile(() => startFakeModelServer(options), 'the fake model server')
}

/**
 * Scripts a slow streamed answer, aborts the attempt once its first delta arrived, and checks that
 * the attempt failed with `canceled`, the HTTP request itself was aborted, and no event followed.
 */
export async function expectAbortMidStream(backend: Backend, server: FakeModelServer): Promise<void> {
  server.script({ text: 'a slow answer in several pieces', slowMs: 150 })
  const a = handMadeAttempt()
  const running = backendFailure(backend.execute(a.request, a.ctx))
  await expect.poll(() => a.events.some((e) => e.type === 'delta'), { timeout: 3000 }).toBe(true)
  a.controller.abort({ kind: 'cancel', message: 'stop' })
  expect(await running).toMatchObject({ code: 'canceled', retryable: false })
  await expect.poll(() => server.requests.at(-1)!.clientAborted).toBe(true)
  const count = a.events.length
  await delay(400)
  expect(a.events.length, 'no events after the abort').toBe(count)
}
