import { PassThrough, Writable } from 'node:stream'
import { createMockBackend } from '@weft/backend-mock'
import { createMemoryStore, createRuntime, isWeftError, type Store, type WeftEvent } from '@weft/core'
import { commitRun, logEvents } from '@weft/testing'
import { parse as parseCsv } from 'csv-parse/sync'
import { describe, expect, it } from 'vitest'
import { EVENT_RECORD_FIELDS, type EventRecord, type ExportFormat, exportEvents } from '../src/index.js'

/** Collects what an export writes. */
function sink(): { out: PassThrough; text: () => string } {
  const out = new PassThrough()
  const chunks: Buffer[] = []
  out.on('data', (c: Buffer) => chunks.push(c))
  return { out, text: () => Buffer.concat(chunks).toString('utf8') }
}

async function exportText(
  store: Store,
  format: ExportFormat,
  options: Parameters<typeof exportEvents>[1] = {},
): Promise<{ text: string; events: number }> {
  const { out, text } = sink()
  const result = await exportEvents(store, options, format, out)
  return { text: text(), events: result.events }
}

const jsonl = (text: string) =>
  text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as EventRecord)

function csvRecords(text: string): EventRecord[] {
  const rows = parseCsv(text, { columns: true }) as Record<string, string>[]
  return rows.map((r) => ({
    runId: r.runId!,
    seq: Number(r.seq),
    ts: r.ts!,
    type: r.type as EventRecord['type'],
    taskId: r.taskId === '' ? null : r.taskId!,
    attempt: r.attempt === '' ? null : Number(r.attempt),
    severity: r.severity as EventRecord['severity'],
    data: JSON.parse(r.data!),
  }))
}

const asRecord = (e: WeftEvent): EventRecord => ({
  runId: e.runId,
  seq: e.seq,
  ts: e.ts,
  type: e.type,
  taskId: e.taskId ?? null,
  attempt: e.attempt ?? null,
  severity: e.severity,
  data: e.data as Record<string, unknown>,
})

async function readAll(store: Store, runId: string): Promise<WeftEvent[]> {
  return store.events.read(runId, { limit: 100_000 })
}

describe('exportEvents', () => {
  it('exports a run of a few thousand events in seq order in every format, each parseable', async () => {
    const store = createMemoryStore()
    const run = await commitRun(store, { events: logEvents(2500) })
    const expected = (await readAll(store, run.id)).map(asRecord)
    expect(expected).toHaveLength(2501)

    const asJsonl = await exportText(store, 'jsonl', { runId: run.id })
    expect(asJsonl.events).toBe(2501)
    expect(jsonl(asJsonl.text)).toEqual(expected)
    // Every record has every key, in the documented order.
    expect(Object.keys(jsonl(asJsonl.text)[0]!)).toEqual([...EVENT_RECORD_FIELDS])

    const asJson = await exportText(store, 'json', { runId: run.id })
    expect(JSON.parse(asJson.text)).toEqual(expected)

    const asCsv = await exportText(store, 'csv', { runId: run.id })
    expect(asCsv.text.startsWith('runId,seq,ts,type,taskId,attempt,severity,data\r\n')).toBe(true)
    expect(csvRecords(asCsv.text)).toEqual(expected)
    // A field with a quote, a comma and a newline is quoted, its quotes doubled (RFC 4180).
    expect(asCsv.text).toContain(
      '"{""message"":""line 1, with \\""quotes\\"", a comma\\nand a newline"",""i"":1}"',
    )
  })

  it('writes valid empty documents when nothing matches', async () => {
    const store = createMemoryStore()
    const run = await commitRun(store)
    const filter = { runId: run.id, types: ['task.failed' as const] }
    expect(JSON.parse((await exportText(store, 'json', filter)).text)).toEqual([])
    expect((await exportText(store, 'jsonl', filter)).text).toBe('')
    expect((await exportText(store, 'csv', filter)).text).toBe(
      'runId,seq,ts,type,taskId,attempt,severity,data\r\n',
    )
  })

  it('exports every run, newest run first, each in seq order, with runtime-written runs', async () => {
    const store = createMemoryStore()
    const runtime = createRuntime({ store, backends: [createMockBackend()] })
    const ids: string[] = []
    for (const name of ['one', 'two']) {
      const run = await runtime.start({
        workflow: {
          weft: 1,
          name,
          defaults: { backend: 'mock' },
          tasks: { a: { prompt: 'x' }, b: { needs: ['a'], prompt: 'y' } },
        },
      })
      await runtime.wait(run.id)
      ids.push(run.id)
    }
    const { text, events } = await exportText(store, 'jsonl', { pageSize: 3, runPageSize: 1 })
    const records = jsonl(text)
    const first = (await readAll(store, ids[1]!)).map(asRecord)
    const second = (await readAll(store, ids[0]!)).map(asRecord)
    expect(records).toEqual([...first, ...second])
    expect(events).toBe(first.length + second.length)
    expect(records.at(-1)!.type).toBe('run.succeeded')
    await runtime.close()
  })

  it('applies type, task, severity and time filters', async () => {
    const store = createMemoryStore()
    const start = Date.parse('2025-03-01T00:00:00.000Z')
    const run = await commitRun(store, {
      createdAt: new Date(start - 1000).toISOString(),
      events: [...logEvents(50, start, 'a'), ...logEvents(50, start + 50, 'b')],
    })
    const all = (await readAll(store, run.id)).map(asRecord)

    const byTask = jsonl((await exportText(store, 'jsonl', { taskId: 'b' })).text)
    expect(byTask).toEqual(all.filter((r) => r.taskId === 'b'))

    const warn = jsonl((await exportText(store, 'jsonl', { runId: run.id, severities: ['warn'] })).text)
    expect(warn).toHaveLength(10)
    expect(warn.every((r) => r.severity === 'warn')).toBe(true)

    const created = jsonl((await exportText(store, 'jsonl', { types: ['run.created'] })).text)
    expect(created.map((r) => r.seq)).toEqual([1])

    const since = new Date(start + 10).toISOString()
    const until = new Date(start + 20).toISOString()
    const window = jsonl((await exportText(store, 'jsonl', { since, until })).text)
    expect(window.map((r) => r.data.i)).toEqual([10, 11, 12, 13, 14, 15, 16, 17, 18, 19])
  })

  it('waits for drain: never reads the next page while the output buffer is full', async () => {
    const store = createMemoryStore()
    const run = await commitRun(store, { events: logEvents(3000) })
    const highWaterMark = 4096
    let written = 0
    const out = new Writable({
      highWaterMark,
      write(chunk: Buffer, _enc, cb) {
        written += chunk.length
        setImmediate(cb) // a slow consumer
      },
    })
    const buffered: number[] = []
    const read = store.events.read.bind(store.events)
    store.events.read = (runId, opts) => {
      buffered.push(out.writableLength)
      return read(runId, opts)
    }
    const result = await exportEvents(store, { runId: run.id, pageSize: 200 }, 'jsonl', out)
    expect(result.events).toBe(3001)
    expect(buffered.length).toBeGreaterThan(10)
    // A page is read only after the previous one was accepted below the high-water mark.
    expect(Math.max(...buffered)).toBeLessThan(highWaterMark)
    await new Promise<void>((resolve) => out.end(resolve))
    expect(written).toBeGreaterThan(3001 * 50)
  })

  it('fails with the output error, and refuses an unknown run and a bad format', async () => {
    const store = createMemoryStore()
    const run = await commitRun(store, { events: logEvents(500) })
    const broken = new Writable({
      highWaterMark: 16,
      write(_chunk, _enc, cb) {
        setImmediate(() => cb(new Error('disk full')))
      },
    })
    broken.on('error', () => {})
    await expect(exportEvents(store, { runId: run.id, pageSize: 50 }, 'csv', broken)).rejects.toThrow(
      'disk full',
    )

    const unknown = await exportEvents(store, { runId: 'run_nope' }, 'jsonl', new PassThrough()).catch(
      (e) => e,
    )
    expect(isWeftError(unknown) && unknown.code).toBe('run_not_found')
    const bad = await exportEvents(store, {}, 'xml' as ExportFormat, new PassThrough()).catch((e) => e)
    expect(isWeftError(bad) && bad.code).toBe('input_invalid')
  })

  it('stops between pages when aborted', async () => {
    const store = createMemoryStore()
    const run = await commitRun(store, { events: logEvents(500) })
    const controller = new AbortController()
    const { out } = sink()
    let pages = 0
    const read = store.events.read.bind(store.events)
    store.events.read = (runId, opts) => {
      if (++pages === 2) controller.abort(new Error('stop'))
      return read(runId, opts)
    }
    await expect(
      exportEvents(store, { runId: run.id, pageSize: 100, signal: controller.signal }, 'jsonl', out),
    ).rejects.toThrow('stop')
    expect(pages).toBe(2)
  })
})
