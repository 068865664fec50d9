import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parse as parseCsv } from 'csv-parse/sync'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { main } from '../src/main.js'
import { createWorkspace, type EventRecord, readEvents, runCli, type Workspace } from './helpers/cli.js'
import { commitRun, logEvents } from './helpers/direct-run.js'

let ws: Workspace
let diamond: string
let failure: string
/** Every event of both runs, as `runs events --json` prints them. */
let all: EventRecord[]

const cli = (args: string[]) => runCli(args, { cwd: ws.dir, env: ws.env })
/** The same command in this process: for the many ways to call it wrongly, which never get far. */
async function cliHere(args: string[]) {
  let stdout = ''
  let stderr = ''
  const code = await main(args, {
    cwd: ws.dir,
    env: { ...ws.env, NO_COLOR: '1' },
    stdout: {
      write: (s: string) => {
        stdout += s
        return true
      },
    },
    stderr: {
      write: (s: string) => {
        stderr += s
        return true
      },
    },
  })
  return { code, stdout, stderr }
}
const lines = (text: string) =>
  text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as EventRecord)
const runIdOf = (stdout: string) => /run (run_\w+) created/.exec(stdout)![1]!

beforeAll(async () => {
  ws = createWorkspace()
  const a = await cli(['run', 'diamond.yaml'])
  expect(a.code, a.stderr).toBe(0)
  diamond = runIdOf(a.stdout)
  const b = await cli(['run', 'failure.yaml'])
  expect(b.code, b.stderr).toBe(1)
  failure = runIdOf(b.stdout)
  all = [...(await readEvents(ws, failure)), ...(await readEvents(ws, diamond))]
}, 60_000)
afterAll(() => ws?.cleanup())

describe('weft events query', () => {
  it('filters by type, task, severity and run, in JSONL and as a table', async () => {
    const failed = await cli(['events', 'query', '--type', 'task.failed', '--json'])
    expect(failed.code, failed.stderr).toBe(0)
    const records = lines(failed.stdout)
    expect(records.map((r) => [r.runId, r.taskId, r.type])).toEqual([[failure, 'broken', 'task.failed']])
    expect(Object.keys(records[0]!)).toEqual([
      'runId',
      'seq',
      'ts',
      'type',
      'taskId',
      'attempt',
      'severity',
      'data',
    ])

    const collect = lines(
      (await cli(['events', 'query', '--run', diamond, '--task', 'collect', '--json'])).stdout,
    )
    expect(collect.length).toBeGreaterThanOrEqual(3)
    expect(collect.every((r) => r.runId === diamond && r.taskId === 'collect')).toBe(true)
    expect(collect.map((r) => r.type)).toEqual(
      all.filter((r) => r.runId === diamond && r.taskId === 'collect').map((r) => r.type),
    )

    const errors = lines((await cli(['events', 'query', '--severity', 'error,warn', '--json'])).stdout)
    expect(errors.length).toBeGreaterThan(0)
    expect(errors.every((r) => r.severity === 'error' || r.severity === 'warn')).toBe(true)
    expect(errors).toHaveLength(all.filter((r) => r.severity === 'error' || r.severity === 'warn').length)

    const runEvents = lines((await cli(['events', 'query', '--type', 'run.*', '--json'])).stdout)
    expect(new Set(runEvents.map((r) => r.type))).toEqual(
      new Set(['run.created', 'run.started', 'run.succeeded', 'run.failed']),
    )

    const table = await cli(['events', 'query', '--run', failure, '--type', 'task.failed,task.skipped'])
    expect(table.code, table.stderr).toBe(0)
    expect(table.stdout).toMatch(/^TIME\s+SEQ\s+SEVERITY\s+TYPE\s+TASK\s+DATA/)
    expect(table.stdout).toMatch(/error\s+task\.failed\s+broken\s+\{"error"/)
    expect(table.stdout).toMatch(/task\.skipped\s+after_broken/)
  })

  it('applies --limit (oldest first) and time ranges', async () => {
    const limited = await cli(['events', 'query', '--limit', '3'])
    expect(limited.stdout).toMatch(/first 3 shown/)
    const three = lines((await cli(['events', 'query', '--limit', '3', '--json'])).stdout)
    expect(three).toHaveLength(3)
    const sorted = [...all].sort((x, y) =>
      x.ts !== y.ts
        ? x.ts < y.ts
          ? -1
          : 1
        : x.runId !== y.runId
          ? x.runId < y.runId
            ? -1
            : 1
          : x.seq - y.seq,
    )
    expect(three.map((r) => [r.runId, r.seq])).toEqual(sorted.slice(0, 3).map((r) => [r.runId, r.seq]))

    const recent = lines(
      (await cli(['events', 'query', '--since', '1h', '--limit', '1000', '--json'])).stdout,
    )
    expect(recent).toHaveLength(all.length)
    const none = await cli(['events', 'query', '--until', '1h'])
    expect(none.stdout).toMatch(/no events match/)
    const pivot = sorted[Math.floor(sorted.length / 2)]!.ts
    const after = lines(
      (await cli(['events', 'query', '--since', pivot, '--limit', '1000', '--json'])).stdout,
    )
    expect(after).toHaveLength(sorted.filter((r) => r.ts >= pivot).length)
    expect(after.every((r) => r.ts >= pivot)).toBe(true)
  })

  it('refuses bad filters with exit 2', async () => {
    for (const args of [
      ['--type', 'task.exploded'],
      ['--severity', 'fatal'],
      ['--since', 'yesterday'],
      ['--since', '1h', '--until', '2h'],
      ['--limit', '0'],
      ['--limit', '20000'],
      ['--run', 'run_nope'],
    ]) {
      const r = await cliHere(['events', 'query', ...args])
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(2)
      expect(r.stderr).toMatch(/error/)
    }
  })
})

describe('weft events export', () => {
  it('exports every run in each format, each parseable, the same records as the log', async () => {
    // Newest run first, each run in seq order.
    const expected = [...all.filter((r) => r.runId === failure), ...all.filter((r) => r.runId === diamond)]
    const normal = (r: EventRecord) => ({ ...r })

    const jsonl = await cli(['events', 'export', '--format', 'jsonl'])
    expect(jsonl.code, jsonl.stderr).toBe(0)
    expect(lines(jsonl.stdout).map(normal)).toEqual(expected.map(normal))
    expect(jsonl.stderr).toMatch(new RegExp(`exported ${expected.length} events of 2 runs \\(jsonl\\)`))

    const json = await cli(['events', 'export', '--format', 'json'])
    expect(json.code, json.stderr).toBe(0)
    expect((JSON.parse(json.stdout) as EventRecord[]).map(normal)).toEqual(expected.map(normal))

    const csv = await cli(['events', 'export', '--format', 'csv', '--type', 'task.*'])
    expect(csv.code, csv.stderr).toBe(0)
    const rows = parseCsv(csv.stdout, { columns: true }) as Record<string, string>[]
    const tasks = expected.filter((r) => r.type.startsWith('task.'))
    expect(rows).toHaveLength(tasks.length)
    expect(Object.keys(rows[0]!)).toEqual([
      'runId',
      'seq',
      'ts',
      'type',
      'taskId',
      'attempt',
      'severity',
      'data',
    ])
    rows.forEach((row, i) => {
      const e = tasks[i]!
      expect(row).toEqual({
        runId: e.runId,
        seq: String(e.seq),
        ts: e.ts,
        type: e.type,
        taskId: e.taskId ?? '',
        attempt: e.attempt === null ? '' : String(e.attempt),
        severity: e.severity,
        data: JSON.stringify(e.data),
      })
    })
  })

  it('exports one run with --out atomically, a few thousand events that need quoting', async () => {
    const big = await commitRun(ws.store, { events: logEvents(2999), name: 'big' })
    const before = new Set(readdirSync(ws.dir))
    for (const format of ['jsonl', 'csv', 'json'] as const) {
      const file = `big.${format}`
      writeFileSync(join(ws.dir, file), 'old contents')
      const r = await cli(['events', 'export', '--run', big, '--format', format, '--out', file])
      expect(r.code, r.stderr).toBe(0)
      expect(r.stdout).toBe('')
      expect(r.stderr).toContain(`exported 3,000 events of 1 run to ${file} (${format})\n`)
      const text = readFileSync(join(ws.dir, file), 'utf8')
      const records: { seq: number | string; data: unknown }[] =
        format === 'jsonl'
          ? lines(text)
          : format === 'json'
            ? (JSON.parse(text) as EventRecord[])
            : (parseCsv(text, { columns: true }) as Record<string, string>[]).map((row) => ({
                ...row,
                seq: Number(row.seq),
                data: JSON.parse(row.data!) as Record<string, unknown>,
              }))
      expect(records).toHaveLength(3000)
      expect(records.map((r) => Number(r.seq))).toEqual(Array.from({ length: 3000 }, (_, i) => i + 1))
      expect(records[2]!.data).toEqual({
        message: 'line 1, with "quotes", a comma\nand a newline',
        fields: { i: 1, ok: false },
      })
    }
    // The format comes from the file name when --format is left out; no temp file stays behind.
    const inferred = await cli([
      'events',
      'export',
      '--run',
      big,
      '--out',
      'inferred.csv',
      '--type',
      'run.created',
    ])
    expect(inferred.code, inferred.stderr).toBe(0)
    expect(readFileSync(join(ws.dir, 'inferred.csv'), 'utf8').split('\r\n')[0]).toBe(
      'runId,seq,ts,type,taskId,attempt,severity,data',
    )
    const added = [...readdirSync(ws.dir)].filter((f) => !before.has(f))
    expect(added.sort()).toEqual(['big.csv', 'big.json', 'big.jsonl', 'inferred.csv'])
  })

  it('refuses a missing format, an unknown run and a missing directory, leaving no file', async () => {
    const noFormat = await cli(['events', 'export'])
    expect(noFormat.code).toBe(2)
    expect(noFormat.stderr).toMatch(/which format\?/)
    const badFormat = await cliHere(['events', 'export', '--format', 'xml'])
    expect(badFormat.code).toBe(2)
    const unknown = await cliHere([
      'events',
      'export',
      '--run',
      'run_nope',
      '--format',
      'json',
      '--out',
      'nope.json',
    ])
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toMatch(/run_not_found/)
    const noDir = await cliHere(['events', 'export', '--format', 'json', '--out', 'missing/dir/out.json'])
    expect(noDir.code).toBe(2)
    expect(noDir.stderr).toMatch(/does not exist/)
    expect(readdirSync(ws.dir).filter((f) => f.startsWith('nope') || f.endsWith('.tmp'))).toEqual([])
  })
})
