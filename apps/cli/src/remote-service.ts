import { readFile } from 'node:fs/promises'
import { WeftApiError, type WeftClient } from '@weft/client'
import { type TaskState, WEFT_ERROR_CODES, WeftError, type WeftErrorCode, type WeftEvent } from '@weft/core'
import type { ExportFormat } from '@weft/export'
import { parse as parseCsv } from 'csv-parse'
import type { RunService } from './service.js'

/** `GET /events` answers at most this many events (the API's limit). */
export const REMOTE_QUERY_LIMIT = 5000

/**
 * The runs of a weft server, through `@weft/client`. Errors with one of weft's own codes become
 * the `WeftError` the local runtime would have thrown, so messages and exit codes match.
 */
export function createRemoteService(client: WeftClient, extraArgs: string | undefined): RunService {
  const where = `the server at ${client.baseUrl}`
  const detail = async (runId: string) => {
    try {
      return await client.runs.get(runId)
    } catch (err) {
      // 404 for an unknown id, 400 for one that cannot be a run id: either way there is no such run.
      if (err instanceof WeftApiError && (err.status === 404 || err.status === 400)) return undefined
      throw toCliError(err)
    }
  }
  const remote = async <T>(fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn()
    } catch (err) {
      throw toCliError(err)
    }
  }

  return {
    kind: 'remote',
    where,
    ...(extraArgs ? { extraArgs } : {}),
    get: async (runId) => (await detail(runId))?.run,
    tasks: async (runId) => ((await detail(runId))?.tasks ?? []) as TaskState[],
    list: (filter) =>
      remote(() =>
        client.runs.list({
          limit: filter.limit,
          ...(filter.status?.length ? { status: filter.status } : {}),
        }),
      ),
    events(runId, options) {
      const after = options.after ?? 0
      const source = options.follow
        ? client.runs.stream(runId, {
            after,
            ...(options.deltas ? { deltas: true } : {}),
            ...(options.signal ? { signal: options.signal } : {}),
          })
        : client.runs.allEvents(runId, { after }, options.signal ? { signal: options.signal } : {})
      return converted(source)
    },
    wait: (runId, options) =>
      remote(() => client.runs.wait(runId, options?.signal ? { signal: options.signal } : {})),
    cancel: (runId, reason) => remote(() => client.runs.cancel(runId, { reason })),
    pause: (runId) => remote(() => client.runs.pause(runId)),
    // The server records its API key's name as who answered: `by` is not the client's to say.
    resume: (runId, { by: _by, ...options }) => remote(() => client.runs.resume(runId, options)),
    rerun: async (runId, from) => (await remote(() => client.runs.rerun(runId, { from }))).run,
    async rerunOf(runId) {
      const spec = (await remote(() => client.runs.get(runId, { include: 'spec' }))).spec
      const of = spec?.rerunOf as { runId?: unknown; from?: unknown } | undefined
      return typeof of?.runId === 'string' && typeof of.from === 'string'
        ? { runId: of.runId, from: of.from }
        : undefined
    },
    artifacts: (runId) => remote(() => client.runs.artifacts(runId)),
    async artifact(runId, name) {
      try {
        return await client.runs.artifact(runId, name)
      } catch (err) {
        if (err instanceof WeftApiError && err.code === 'not_found') return undefined
        throw toCliError(err)
      }
    },
    // The server validates when the run starts, with its own backends and plugins.
    validate: () => ({ ok: true, diagnostics: [] }),
    async start(doc, request) {
      const text = doc.text || (await readFile(doc.path, 'utf8'))
      try {
        const { run } = await client.runs.start({
          workflow: text,
          source: doc.file,
          initiator: 'cli',
          inputs: request.inputs,
          ...(request.backend ? { backend: request.backend } : {}),
          ...(request.maxParallelism ? { maxParallelism: request.maxParallelism } : {}),
          ...(request.mode ? { mode: request.mode } : {}),
          ...(request.failFast ? { failFast: true } : {}),
          ...(request.budget ? { budget: request.budget } : {}),
          ...(request.strict ? { diagnostics: 'strict' as const } : {}),
        })
        for (const d of run.diagnostics) d.file = doc.file
        return run
      } catch (err) {
        const converted = toCliError(err)
        // The server read the text, not the file: its diagnostics name the file as the user typed it.
        if (converted instanceof WeftError) for (const d of converted.diagnostics) d.file = doc.file
        throw converted
      }
    },
    async queryEvents(filter, limit) {
      if (limit > REMOTE_QUERY_LIMIT) {
        throw new WeftError(
          'input_invalid',
          `--limit ${limit} is more than a server answers (${REMOTE_QUERY_LIMIT})`,
          {
            hint: 'for the whole log use `weft events export --format jsonl` (it streams, with the same filters)',
          },
        )
      }
      return remote(() =>
        client.events.query({
          ...(filter.runId ? { run: filter.runId } : {}),
          ...(filter.types?.length ? { type: filter.types } : {}),
          ...(filter.taskId ? { task: filter.taskId } : {}),
          ...(filter.severities?.length ? { severity: filter.severities } : {}),
          ...(filter.since ? { since: filter.since } : {}),
          ...(filter.until ? { until: filter.until } : {}),
          limit,
        }),
      )
    },
    async exportEvents(filter, format, out) {
      const body = await remote(() =>
        client.events.export(
          {
            format,
            ...(filter.runId ? { run: filter.runId } : {}),
            ...(filter.types?.length ? { type: filter.types } : {}),
            ...(filter.taskId ? { task: filter.taskId } : {}),
            ...(filter.severities?.length ? { severity: filter.severities } : {}),
            ...(filter.since ? { since: filter.since } : {}),
            ...(filter.until ? { until: filter.until } : {}),
          },
          filter.signal ? { signal: filter.signal } : {},
        ),
      )
      const counter = recordCounter(format)
      const reader = body.getReader()
      let done = false
      try {
        for (;;) {
          filter.signal?.throwIfAborted()
          const next = await remote(() => reader.read())
          if (next.done) break
          counter.push(next.value)
          await write(out, next.value)
        }
        done = true
      } finally {
        if (!done) await reader.cancel().catch(() => undefined)
      }
      return counter.end()
    },
    backends: () =>
      remote(async () =>
        (await client.backends.list()).map((b) => ({
          id: b.id,
          label: b.label,
          capabilities: b.capabilities,
          health: b.health,
        })),
      ),
    async stopFollowing(runId) {
      if (!runId) return 'stopped before the run started'
      return `stopped following run ${runId}; it goes on on ${where} (follow it with \`weft runs events ${runId} --follow${extraArgs ? ` ${extraArgs}` : ''}\`)`
    },
    close: async () => {},
  }
}

const WEFT_CODES = new Set<string>(WEFT_ERROR_CODES)

/** An API error with one of weft's codes as the `WeftError` a local runtime throws; others as they are. */
export function toCliError(err: unknown): unknown {
  if (!(err instanceof WeftApiError) || !WEFT_CODES.has(err.code)) return err
  return new WeftError(err.code as WeftErrorCode, err.message, {
    ...(err.hint ? { hint: err.hint } : {}),
    diagnostics: err.diagnostics,
    cause: err,
  })
}

async function* converted(source: AsyncIterable<WeftEvent>): AsyncGenerator<WeftEvent> {
  try {
    yield* source
  } catch (err) {
    throw toCliError(err)
  }
}

/** Writes with backpressure: waits for `drain` when the stream's buffer is full. */
function write(out: NodeJS.WritableStream, chunk: Uint8Array): Promise<void> {
  if (out.write(chunk)) return Promise.resolve()
  return new Promise((resolve, reject) => {
    const done = (err?: unknown) => {
      out.off('drain', onDrain)
      out.off('error', onError)
      out.off('close', onClose)
      if (err) reject(err)
      else resolve()
    }
    const onDrain = () => done()
    const onError = (err: unknown) => done(err)
    const onClose = () => done(new Error('the output closed before all events were written'))
    out.on('drain', onDrain)
    out.on('error', onError)
    out.on('close', onClose)
  })
}

/**
 * Counts the records (and distinct runs) of an export as it streams by, for the closing
 * `exported N events of M runs` line: JSONL and the JSON array have one record a line; CSV
 * records may span lines (quoted newlines), so a CSV parser counts them.
 */
function recordCounter(format: ExportFormat) {
  const runs = new Set<string>()
  let events = 0
  if (format === 'csv') {
    let header = true
    const parser = parseCsv({ relax_column_count: true })
    parser.on('data', (row: string[]) => {
      if (header) {
        header = false
        return
      }
      events++
      if (row[0]) runs.add(row[0])
    })
    const ended = new Promise<void>((resolve) => {
      parser.on('end', resolve)
      parser.on('error', () => resolve())
    })
    return {
      push: (chunk: Uint8Array) => void parser.write(Buffer.from(chunk)),
      end: async () => {
        parser.end()
        await ended
        return { events, runs: runs.size }
      },
    }
  }
  const decoder = new TextDecoder()
  let tail = ''
  const line = (raw: string) => {
    let text = raw.trim()
    if (format === 'json') text = text.replace(/^\[/, '').replace(/\]$/, '').replace(/,$/, '')
    if (!text.startsWith('{')) return
    events++
    try {
      const runId = (JSON.parse(text) as { runId?: unknown }).runId
      if (typeof runId === 'string') runs.add(runId)
    } catch {
      // not a record: counted, its run unknown
    }
  }
  return {
    push(chunk: Uint8Array) {
      const lines = (tail + decoder.decode(chunk, { stream: true })).split('\n')
      tail = lines.pop() ?? ''
      for (const l of lines) line(l)
    },
    end: async () => {
      line(tail + decoder.decode())
      return { events, runs: runs.size }
    },
  }
}
