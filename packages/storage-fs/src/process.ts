import { hostname } from 'node:os'

/** This machine's name, as lock files record it. */
export const HOST = hostname()

/**
 * Whether a process with this pid exists on this machine. Signal 0 checks without sending
 * anything; EPERM means it exists but belongs to another user.
 */
export function isProcessAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false
  if (pid === process.pid) return true
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}
