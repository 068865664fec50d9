import { hasCapability, type RunSummary, type Store, type StoreCapabilities } from '@weft/core'
import { expect } from 'vitest'
import type { buildCreateCommit } from '../fixtures.js'

/** What every part of the conformance suite shares: the current test's store and a few builders. */
export interface StoreSuite {
  /** The fresh store of the current test (set by the suite's beforeEach). */
  readonly store: Store
  /** What the store declares, read once when the suite is registered. */
  readonly capabilities: StoreCapabilities
  /** Creates a run with the fixture's two tasks and its `run.created` + `task.added` events. */
  createRun(
    options?: Parameters<typeof buildCreateCommit>[1],
    runId?: string,
  ): Promise<{
    runId: string
    commit: ReturnType<typeof buildCreateCommit>
    stored: Awaited<ReturnType<Store['commit']>>
  }>
  /** Everything a commit may touch, to prove a refused commit wrote nothing. */
  snapshot(runId: string): Promise<Record<string, unknown>>
  /** Another handle on the current test's store, as a second process would open it (multi-process suite). */
  openAgain?: () => Promise<Store>
}

/** Whether the current test's store has `capability` (its optional parts are tested when it does). */
export const has = (store: Store, capability: Parameters<typeof hasCapability>[1]): boolean =>
  hasCapability(store, capability)

export const ids = (page: { items: RunSummary[] }) => page.items.map((r) => r.id)

export const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/**
 * How far a store's timestamps (lease expiry, artifact creation) may stray from this process's
 * clock: a store may take the time from a database server rather than from `Date.now()`.
 */
export const CLOCK_SLACK_MS = 1000

/** Same bytes, as a `Uint8Array` (a `Buffer` is one too); reports the first difference. */
export function expectBytes(actual: Uint8Array | undefined, expected: Uint8Array): void {
  expect(actual, 'expected bytes, got nothing').toBeInstanceOf(Uint8Array)
  expect(actual!.byteLength).toBe(expected.byteLength)
  const first = expected.findIndex((b, i) => actual![i] !== b)
  expect(first, `bytes differ from index ${first}`).toBe(-1)
}

/** Checks the error by name and code, not `instanceof`: a store may load another copy of core. */
export async function expectWeftError(promise: Promise<unknown>, code: string): Promise<void> {
  const outcome = await promise.then(
    () => ({ ok: true as const }),
    (err: unknown) => ({ ok: false as const, err }),
  )
  expect(outcome.ok, `expected the call to fail with WeftError '${code}'`).toBe(false)
  if (!outcome.ok) expect(outcome.err).toMatchObject({ name: 'WeftError', code })
}
