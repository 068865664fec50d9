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
      return new InProcessAttempt(o, attempt, io)
    },
  }
}

/**
 * One attempt running in this process. A class, not closures: a no-op task's attempt made more
 * garbage here (a context with its own getter, an async wrapper, three methods) than anywhere else.
 */
class InProcessAttempt implements RunningAttempt {
  readonly result: Promise<TaskResult>
  private readonly backend: Backend | undefined
  private readonly ctx: TaskContext
  private suspended = false

  constructor(
    private readonly o: InProcessExecutorOptions,
    private readonly attempt: DispatchedAttempt,
    io: AttemptIO,
  ) {
    const backend = o.backends.get(attempt.backend)
    this.backend = backend
    this.ctx = new AttemptContext(attempt, io, o.workDir)
    if (!backend) {
      this.result = Promise.reject(
        new BackendError('not_installed', `backend '${attempt.backend}' is not available`, {
          retryable: false,
        }),
      )
      return
    }
    let called: Promise<TaskResult>
    try {
      // Promise.resolve: the same promise for a native one; a backend that throws at once rejects.
      called = Promise.resolve(backend.execute(attempt.request, this.ctx))
    } catch (err) {
      called = Promise.reject(err)
    }
    this.result = called.then((r) => (r.artifacts?.length ? this.kept(r) : r))
  }

  private async kept(r: TaskResult): Promise<TaskResult> {
    await keepArtifacts(this.o, this.attempt, r.artifacts!)
    return r
  }

  async suspend(): Promise<void> {
    if (!this.backend?.pause || this.suspended) return
    this.suspended = true
    try {
      await this.backend.pause(this.ctx)
    } catch (err) {
      this.o.warn(`could not pause task ${this.attempt.taskId}: ${(err as Error).message}`)
    }
  }

  async resume(): Promise<void> {
    if (!this.backend?.resume || !this.suspended) return
    this.suspended = false
    try {
      await this.backend.resume(this.ctx)
    } catch (err) {
      this.o.warn(`could not resume task ${this.attempt.taskId}: ${(err as Error).message}`)
    }
  }
}

/**
 * What the backend gets as its `TaskContext`. The signal, `emit` and `log` are made when the
 * backend first reads them (attempt-abort.ts): a backend that reads none costs none of them.
 */
class AttemptContext implements TaskContext {
  readonly runId: string
  readonly taskId: string
  readonly attempt: number
  readonly workDir: string
  private logger?: BackendLogger

  constructor(
    attempt: DispatchedAttempt,
    private readonly io: AttemptIO,
    workDir: string,
  ) {
    this.runId = attempt.runId
    this.taskId = attempt.taskId
    this.attempt = attempt.attempt
    this.workDir = workDir
  }

  get signal(): AbortSignal {
    return this.io.signal
  }

  get emit(): AttemptIO['emit'] {
    return this.io.emit
  }

  get log(): BackendLogger {
    this.logger ??= new AttemptLog(this.io.emit)
    return this.logger
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
