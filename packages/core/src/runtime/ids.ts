import { randomBytes } from 'node:crypto'
import { monotonicFactory } from 'ulid'

const ulid = monotonicFactory()

/** Run ids sort by creation time: `run_01J…`. */
export function newRunId(): string {
  return `run_${ulid()}`
}

/** Approval tokens are unguessable: 128 random bits. */
export function newResumeToken(): string {
  return `tok_${randomBytes(16).toString('base64url')}`
}

export function nowIso(): string {
  return new Date().toISOString()
}
