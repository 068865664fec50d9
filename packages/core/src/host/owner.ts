/**
 * The name a runtime holds leases under, and what another process can tell from it. The default
 * name is `host:pid:startTime:random` (see `RunLease` in @weft/spec): on the same host, the pid and
 * its start time say whether the holder still runs, so a crashed holder's runs need not wait for
 * the lease to expire. `random` tells apart two runtimes of one process.
 */
import { randomBytes } from 'node:crypto'
import { hostname } from 'node:os'
import { processLiveness, selfIdentity } from '@weft/process'

export interface OwnerIdentity {
  host: string
  pid: number
  /** Absent in names written before start times were recorded (`host:pid:random`). */
  startTime?: string
}

/** A fresh owner name for a runtime of this process. */
export function newOwnerName(): string {
  const self = selfIdentity()
  // Where no start time can be read (not Linux), `0` keeps the shape; it is never compared then.
  return `${hostname()}:${self.pid}:${self.startTime ?? '0'}:${randomBytes(3).toString('hex')}`
}

/** Reads a lease owner name; undefined for a name of another shape (e.g. one a caller chose). */
export function parseOwner(owner: string): OwnerIdentity | undefined {
  const parts = owner.split(':')
  const random = parts.at(-1) ?? ''
  if (!/^[0-9a-f]+$/.test(random)) return undefined
  if (parts.length >= 4 && /^\d+$/.test(parts.at(-2)!) && /^\d+$/.test(parts.at(-3)!)) {
    const startTime = parts.at(-2)!
    return {
      host: parts.slice(0, -3).join(':'),
      pid: Number(parts.at(-3)),
      ...(startTime !== '0' ? { startTime } : {}),
    }
  }
  if (parts.length >= 3 && /^\d+$/.test(parts.at(-2)!)) {
    return { host: parts.slice(0, -2).join(':'), pid: Number(parts.at(-2)) }
  }
  return undefined
}

/**
 * What this process can tell about a lease holder: `dead` (same host; its pid is gone, a zombie, or
 * names a process that started at another time), `alive` (same host, running), or `unverified`
 * (another host, or a name without a pid: only the lease's expiry tells).
 */
export function ownerLiveness(owner: string): 'alive' | 'dead' | 'unverified' {
  const id = parseOwner(owner)
  if (!id || id.host !== hostname() || id.pid <= 0) return 'unverified'
  return processLiveness({ pid: id.pid, ...(id.startTime ? { startTime: id.startTime } : {}) })
}

/** A short description of a holder for messages: `pid 4242 on this host`, or the name. */
export function describeOwner(owner: string): string {
  const id = parseOwner(owner)
  if (!id) return owner
  return id.host === hostname() ? `pid ${id.pid} on this host` : `pid ${id.pid} on host ${id.host}`
}
