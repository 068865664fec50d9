import { setTimeout as sleep } from 'node:timers/promises'

/**
 * Runs `op` again after a failure (a dropped connection, a server restart, a connection killed by
 * `pg_terminate_backend`), with backoff from 50 ms to 2 s, at most `attempts` times. The queue's
 * statements are safe to run again: each one is a single fenced statement or transaction.
 */
export async function persist<T>(op: () => Promise<T>, attempts = 40): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await op()
    } catch (err) {
      if (i >= attempts) throw err
    }
    await sleep(Math.min(2000, 50 * 2 ** Math.min(i, 6)))
  }
}
