/**
 * The executor that runs attempts in this process: it calls the backend with a `TaskContext`
 * whose signal is the attempt's, and copies the files the task reports into the store's artifacts
 * before the attempt counts as done.
 */
import { readFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import type { Backend, BackendLogger, Store, TaskContext, TaskResult } from '@weft/spec'
import { BackendError } from '@weft/spec'
import type { AttemptIO, DispatchedAttempt, RunningAttempt, TaskExecutor } from './dispatch.js'
import { storeHas } from './memory-scopes.js'

export interface InProcessExecutorOptions {
  backends: ReadonlyMap<string, Backend>
  store: Store
  workDir: string
  warn(message: string, context?: unknown): void
}

export function createInProcessExecutor(o: InProcessExecutorOptions): TaskExecutor {
  return {
    start(attempt: DispatchedAttempt, io: AttemptIO): RunningAttempt {
      const backend = o.backends.get(attempt.backend)
      const ctx: TaskContext = {
        runId: attempt.runId,
        taskId: attempt.taskId,
        attempt: attempt.attempt,
        // Read on use: the signal is made only for backends that look at it (attempt-abort.ts).
        get signal() {
          return io.signal
        },
        emit: io.emit,
        log: new AttemptLog(io.emit),
        workDir: o.workDir,
      }
      let suspended = false
      const result = (async (): Promise<TaskResult> => {
        if (!backend)
          throw new BackendError('not_installed', `backend '${attempt.backend}' is not available`, {
            retryable: false,
          })
        const r = await backend.execute(attempt.request, ctx)
        if (r.artifacts?.length) await keepArtifacts(o, attempt, r.artifacts)
        return r
      })()
      return {
        result,
        async suspend() {
          if (!backend?.pause || suspended) return
          suspended = true
          try {
            await backend.pause(ctx)
          } catch (err) {
            o.warn(`could not pause task ${attempt.taskId}: ${(err as Error).message}`)
          }
        },
        async resume() {
          if (!backend?.resume || !suspended) return
          suspended = false
          try {
            await backend.resume(ctx)
          } catch (err) {
            o.warn(`could not resume task ${attempt.taskId}: ${(err as Error).message}`)
          }
        },
      }
    },
  }
}

/** A backend's log lines, as `log` events of its attempt (one object, not four closures, per attempt). */
class AttemptLog implements BackendLogger {
  constructor(private readonly emit: AttemptIO['emit']) {}
  debug(message: string) {
    this.emit({ type: 'log', level: 'debug', message })
  }
  info(message: string) {
    this.emit({ type: 'log', level: 'info', message })
  }
  warn(message: string) {
    this.emit({ type: 'log', level: 'warn', message })
  }
  error(message: string) {
    this.emit({ type: 'log', level: 'error', message })
  }
}

/** Files a task reports are copied into the store before the task counts as done. */
async function keepArtifacts(
  o: InProcessExecutorOptions,
  attempt: DispatchedAttempt,
  artifacts: NonNullable<TaskResult['artifacts']>,
): Promise<void> {
  const store = storeHas(o.store, 'artifacts') ? o.store.artifacts! : undefined
  for (const a of artifacts) {
    if (!a.path) continue
    if (!store)
      throw new BackendError(
        'failed',
        `artifact '${a.name}': keeping task artifacts needs the 'artifacts' capability, which is unsupported by this store (${o.store.id})`,
        { retryable: false, hint: 'use a store that keeps artifacts (the memory, SQLite and fs stores do)' },
      )
    let data: Uint8Array
    try {
      data = await readFile(resolve(o.workDir, a.path))
    } catch (err) {
      throw new BackendError(
        'bad_output',
        `artifact '${a.name}' cannot be read from ${a.path}: ${(err as Error).message}`,
        { retryable: false },
      )
    }
    await store.put({
      runId: attempt.runId,
      taskId: attempt.taskId,
      name: a.name,
      ...(a.contentType ? { contentType: a.contentType } : {}),
      data,
    })
  }
}
