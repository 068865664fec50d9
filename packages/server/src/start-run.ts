import { createHash } from 'node:crypto'
import { readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import type { StartRunRequestSchema } from '@weft/api'
import {
  type Json,
  type Locator,
  type RunSummary,
  type Runtime,
  requireCapability,
  type TraceContext,
  WeftError,
} from '@weft/core'
import type { z } from 'zod'
import { ANONYMOUS_ADMIN, type Principal } from './auth.js'
import { HttpError } from './errors.js'
import type { PolicyGate } from './policy.js'
import { countTasks } from './workflow-lines.js'
import { throwIfInvalid, type WorkflowParser } from './workflow-parser.js'

export type StartRunBody = z.output<typeof StartRunRequestSchema>

/**
 * Reserved: servers before the store's `idempotency` part tagged their runs `idempotency:<hash>`
 * (the SQLite store's migration 5 turns those tags into keys), so clients may not use the prefix.
 */
export const IDEMPOTENCY_TAG_PREFIX = 'idempotency:'
/** How long a process may hold an idempotency key while it starts the run. */
const KEY_CLAIM_MS = 30_000

export interface RunStarterOptions {
  workflowsDir?: string
  maxQueuedRuns?: number
  /** Seconds a client told `queue_full` should wait. */
  retryAfterSeconds: number
  /** This server's name in idempotency claims. */
  owner: string
  /** Parses workflow text (large documents off the event loop). */
  parser: WorkflowParser
  policy: PolicyGate
  limits: RunLimits
}

/** Bounds on the work one request may cause. */
export interface RunLimits {
  /** The workflow document (text, file or the JSON of an object), in bytes. */
  maxWorkflowBytes: number
  /** Tasks in one run. */
  maxTasksPerRun: number
}

export interface StartResult {
  run: RunSummary
  /** An earlier request with the same idempotency key started this run. */
  replayed: boolean
}

/**
 * Starts runs for `POST /runs`: resolves the workflow (inline object or text, or a file of the
 * workflows folder), applies the queue bound, and makes `Idempotency-Key` retries start one run.
 *
 * Idempotency lives in the store's `idempotency` part (a store without it answers requests with
 * a key `store_unsupported`): the key (`sha256(key)[:32]`) is claimed with the hash of the request
 * body, the run is started, and the key completed with its run id, so a retry finds the run in the
 * store (across restarts and across servers on one store) and a different body is refused. Two
 * requests with one key at the same time are serialized in this process by a map of in-flight
 * keys, and across processes by the claim, which the store gives to one owner at a time.
 */
export class RunStarter {
  private readonly inflight = new Map<string, Promise<{ run: RunSummary; bodyHash: string }>>()
  /** Starts admitted by the queue bound that the runtime does not count as active yet. */
  private starting = 0

  constructor(
    private readonly runtime: Runtime,
    private readonly options: RunStarterOptions,
  ) {}

  async start(
    body: StartRunBody,
    idempotencyKey: string | undefined,
    principal: Principal = ANONYMOUS_ADMIN,
    /** The request's W3C trace context (`traceparent` header): the run's spans join that trace. */
    trace?: TraceContext,
  ): Promise<StartResult> {
    for (const tag of body.tags ?? []) {
      if (tag.startsWith(IDEMPOTENCY_TAG_PREFIX)) {
        throw new HttpError(
          'validation_failed',
          `invalid body: tags: '${IDEMPOTENCY_TAG_PREFIX}…' tags are the server's own`,
          {
            details: { issues: [{ path: ['body', 'tags'], code: 'custom', message: 'reserved tag prefix' }] },
            hint: 'send an Idempotency-Key header instead',
          },
        )
      }
    }
    if (idempotencyKey === undefined)
      return { run: await this.launch(body, principal, trace), replayed: false }

    const keyHash = sha256(idempotencyKey).slice(0, 32)
    const bodyHash = sha256(canonicalJson(body))
    // A concurrent request with the same key in this process: wait for it and answer its run.
    let awaited: Promise<unknown> | undefined
    for (;;) {
      const earlier = this.inflight.get(keyHash)
      if (!earlier || earlier === awaited) break
      awaited = earlier
      try {
        const done = await earlier
        if (done.bodyHash !== bodyHash) throw mismatch()
        return { run: (await this.runtime.get(done.run.id)) ?? done.run, replayed: true }
      } catch (err) {
        if (err instanceof HttpError && err.code === 'idempotency_mismatch') throw err
        // The earlier request failed (e.g. an invalid workflow): this one tries for itself.
      }
    }
    let replayed = false
    const attempt = (async () => {
      const r = await this.startOnce(body, keyHash, bodyHash, principal, trace)
      replayed = r.replayed
      return { run: r.run, bodyHash }
    })()
    this.inflight.set(keyHash, attempt)
    try {
      const { run } = await attempt
      return { run, replayed }
    } finally {
      if (this.inflight.get(keyHash) === attempt) this.inflight.delete(keyHash)
    }
  }

  private async startOnce(
    body: StartRunBody,
    keyHash: string,
    bodyHash: string,
    principal: Principal,
    trace: TraceContext | undefined,
  ): Promise<StartResult> {
    const keys = requireCapability(this.runtime.store, 'idempotency', 'an Idempotency-Key')
    const owner = this.options.owner
    const deadline = Date.now() + KEY_CLAIM_MS + 5000
    for (;;) {
      const claim = await keys.claim(keyHash, bodyHash, owner, KEY_CLAIM_MS)
      if (claim.status === 'claimed') break
      if (claim.bodyHash !== bodyHash) throw mismatch()
      if (claim.status === 'done') return this.replay(claim.runId)
      // Another process is starting the run of this key: its run appears, or its claim ends.
      if (Date.now() > deadline) {
        throw new WeftError(
          'conflict',
          'another request with this Idempotency-Key is still starting its run',
          {
            hint: 'retry in a few seconds',
          },
        )
      }
      await sleep(100)
    }
    let run: RunSummary
    try {
      run = await this.launch(body, principal, trace)
    } catch (err) {
      // Nothing started: the key is free for the next request.
      await keys.release(keyHash, owner).catch(() => {})
      throw err
    }
    await keys.complete(keyHash, owner, run.id)
    return { run, replayed: false }
  }

  private async replay(runId: string): Promise<StartResult> {
    const run = await this.runtime.get(runId)
    if (!run) {
      throw new WeftError(
        'run_not_found',
        `the run this Idempotency-Key started (${runId}) no longer exists`,
        {
          hint: 'use a new key',
        },
      )
    }
    return { run, replayed: true }
  }

  private async launch(body: StartRunBody, principal: Principal, trace?: TraceContext): Promise<RunSummary> {
    const inline = body.workflowName === undefined
    this.options.policy.checkSource(principal, inline)
    const source = await this.resolveWorkflow(body)
    this.checkTaskCount(source.tasks)
    this.options.policy.checkTasks(principal, {
      workflow: source.workflow,
      inline,
      backendOverride: body.backend,
    })
    const max = this.options.maxQueuedRuns
    if (max !== undefined) {
      const q = await this.runtime.queueStatus()
      if (q.activeRuns + this.starting >= max) {
        throw new HttpError(
          'queue_full',
          `the run queue is full (${q.activeRuns} unfinished runs, the bound is ${max})`,
          {
            hint: `retry after ${this.options.retryAfterSeconds} s`,
            headers: { 'Retry-After': String(this.options.retryAfterSeconds) },
            details: { activeRuns: q.activeRuns, maxSize: max },
          },
        )
      }
    }
    const tags = [...new Set(body.tags ?? [])]
    const spec = {
      workflow: source.workflow as Record<string, unknown>,
      initiator: body.initiator ?? ('api' as const),
      ...(body.source !== undefined ? { source: body.source } : {}),
      tags,
      ...(body.inputs !== undefined ? { inputs: body.inputs as Record<string, Json> } : {}),
      ...(body.backend !== undefined ? { backend: body.backend } : {}),
      ...(body.maxParallelism !== undefined ? { maxParallelism: body.maxParallelism } : {}),
      ...(body.mode !== undefined ? { mode: body.mode } : {}),
      ...(body.failFast !== undefined ? { failFast: body.failFast } : {}),
      ...(body.timeoutMs !== undefined ? { timeoutMs: body.timeoutMs } : {}),
      ...(body.retry !== undefined ? { retry: body.retry } : {}),
      ...(body.budget !== undefined ? { budget: body.budget } : {}),
      ...(body.diagnostics !== undefined ? { diagnostics: body.diagnostics } : {}),
      ...(trace ? { trace } : {}),
    }
    this.starting++
    try {
      return await this.runtime.start(spec as Parameters<Runtime['start']>[0], {
        ...(source.file ? { file: source.file } : {}),
        ...(source.locate ? { locate: source.locate } : {}),
      })
    } finally {
      this.starting--
    }
  }

  /**
   * The workflow document: inline, parsed from text (with line numbers), or from the workflows
   * folder; its size checked before any parsing, large texts parsed off the event loop.
   */
  private async resolveWorkflow(
    body: StartRunBody,
  ): Promise<{ workflow: unknown; file?: string; locate?: Locator; tasks: number }> {
    if (body.workflowName !== undefined) return this.loadNamed(body.workflowName)
    if (typeof body.workflow === 'string') {
      this.checkBytes(Buffer.byteLength(body.workflow, 'utf8'))
      const doc = await this.options.parser.parse(
        body.workflow,
        undefined,
        this.options.limits.maxTasksPerRun,
      )
      this.checkTaskCount(doc.tasks)
      throwIfInvalid(doc.diagnostics, 'the workflow text', 'cannot be read')
      return { workflow: doc.value, locate: doc.locate, tasks: doc.tasks }
    }
    // Counting first: a document of 100 000 tasks is refused without serializing it.
    const tasks = countTasks(body.workflow)
    this.checkTaskCount(tasks)
    this.checkBytes(Buffer.byteLength(JSON.stringify(body.workflow) ?? '', 'utf8'))
    return { workflow: body.workflow, tasks }
  }

  private checkBytes(bytes: number): void {
    const max = this.options.limits.maxWorkflowBytes
    if (bytes <= max) return
    throw new HttpError(
      'workflow_too_large',
      `the workflow is ${bytes} bytes; this server takes at most ${max}`,
      {
        hint: 'split it into smaller workflows, or raise limits.maxWorkflowBytes on the server',
        details: { bytes, maxWorkflowBytes: max },
      },
    )
  }

  checkTaskCount(tasks: number): void {
    const max = this.options.limits.maxTasksPerRun
    if (tasks <= max) return
    throw new HttpError(
      'too_many_tasks',
      `the run would have ${tasks} tasks; this server takes at most ${max}`,
      {
        hint: 'split the work into several runs, or raise limits.maxTasksPerRun on the server',
        details: { tasks, maxTasksPerRun: max },
      },
    )
  }

  private async loadNamed(
    name: string,
  ): Promise<{ workflow: unknown; file: string; locate: Locator; tasks: number }> {
    const dir = this.options.workflowsDir
    if (!dir) {
      throw new HttpError(
        'workflow_not_found',
        `this server has no workflows folder, so it has no workflow '${name}'`,
        {
          hint: 'send the workflow inline (`workflow`), or start the server with a workflows folder',
        },
      )
    }
    // The name matched /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/: no separator, so every candidate is inside `dir`.
    const candidates = /\.(ya?ml|json)$/i.test(name)
      ? [name]
      : [`${name}.yaml`, `${name}.yml`, `${name}.json`]
    for (const file of candidates) {
      const path = join(dir, file)
      const info = await stat(path).catch(() => undefined)
      if (!info?.isFile()) continue
      this.checkBytes(info.size)
      const text = await readFile(path, 'utf8')
      // Diagnostics name the file as the client knows it, not the server's path.
      const doc = await this.options.parser.parse(text, file, this.options.limits.maxTasksPerRun)
      this.checkTaskCount(doc.tasks)
      throwIfInvalid(doc.diagnostics, file, 'cannot be read')
      return { workflow: doc.value, file, locate: doc.locate, tasks: doc.tasks }
    }
    throw new HttpError('workflow_not_found', `the workflows folder has no workflow '${name}'`, {
      hint: `tried ${candidates.join(', ')}`,
    })
  }
}

function mismatch(): HttpError {
  return new HttpError(
    'idempotency_mismatch',
    'this Idempotency-Key was already used with a different request body',
    { hint: 'use a new key for a different request' },
  )
}

function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex')
}

/** JSON with object keys sorted at every level, so equal bodies hash equally. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      return Object.fromEntries(
        Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
      )
    }
    return v
  })
}
