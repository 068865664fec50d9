/**
 * `pnpm bench`: does `weft events export` stream with bounded memory?
 *
 * Writes two runs into a temp SQLite store (10,000 and 100,000 events, committed in batches;
 * `WEFT_BENCH_EVENTS=30000,300000` for other sizes), then exports each in each format in a child
 * process of its own and reports the child's peak RSS (`process.resourceUsage().maxRSS`) next to a
 * baseline child that loads the same CLI, opens the store and reads the run's summary without
 * exporting. A naive export (the whole log in memory) is measured too, as the contrast.
 *
 * What bounded looks like: the export's peak levels off as the log grows (V8 grows its heap with
 * the allocation rate up to a plateau: about 115 MB at 30,000 events, 127 MB at 100,000 and 135 MB
 * at 300,000 on the 2-core machine) while the naive one grows with the log (150, 305, 695 MB). The
 * proof that nothing is retained: the export of the largest run still completes with V8's old
 * space capped at 32 MB, where the naive export dies of heap exhaustion.
 *
 * Runs against the built packages (turbo builds before `bench`).
 */
import { execFile } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { commitRun, logEvents } from '../test/helpers/direct-run.js'

const here = dirname(fileURLToPath(import.meta.url))
const CHILD = join(here, 'export-child.mjs')
const SIZES = (process.env.WEFT_BENCH_EVENTS ?? '10000,100000').split(',').map(Number)
const FORMATS = ['jsonl', 'csv', 'json'] as const
const HEAP_CAP_MB = 32
const run = promisify(execFile)

interface Measurement {
  maxRssKb: number
  ms: number
  stderr: string
}

async function child(args: string[], cwd: string, nodeArgs: string[] = []): Promise<Measurement> {
  const { stdout } = await run(process.execPath, [...nodeArgs, CHILD, ...args], { cwd, maxBuffer: 1 << 20 })
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as Measurement
}

/** The same child with V8's old space capped: a bounded export fits, a whole-log one cannot. */
async function capped(args: string[], cwd: string): Promise<string> {
  try {
    const m = await child(args, cwd, [`--max-old-space-size=${HEAP_CAP_MB}`])
    return `ok, peak RSS ${mb(m.maxRssKb)} MB, ${(m.ms / 1000).toFixed(2)} s`
  } catch (err) {
    const text = String((err as { stderr?: string }).stderr ?? err)
    return /heap out of memory|Allocation failed/i.test(text)
      ? 'FAILS: JavaScript heap out of memory'
      : `FAILS: ${text.slice(0, 200)}`
  }
}

const mb = (kb: number) => (kb / 1024).toFixed(1)
const bytesMb = (bytes: number) => (bytes / 1024 / 1024).toFixed(1)

async function main() {
  if (!existsSync(resolve(here, '../dist/index.js'))) {
    process.stderr.write('the CLI is not built: run `pnpm bench` at the repository root (it builds first)\n')
    process.exit(2)
  }
  const dir = mkdtempSync(join(tmpdir(), 'weft-bench-'))
  const store = join(dir, 'weft.db')
  try {
    const runs: { events: number; runId: string }[] = []
    for (const n of SIZES) {
      const t = performance.now()
      // One more event than asked for: run.created.
      const runId = await commitRun(store, { events: logEvents(n - 1), name: `bench-${n}`, batchSize: 1000 })
      runs.push({ events: n, runId })
      process.stderr.write(
        `wrote a run of ${n.toLocaleString('en-US')} events in ${((performance.now() - t) / 1000).toFixed(1)}s\n`,
      )
    }
    process.stderr.write(`store: ${bytesMb(statSync(store).size)} MB (+ WAL)\n`)

    const rows: string[][] = []
    for (const { events, runId } of runs) {
      const base = await child(['baseline', store, runId], dir)
      rows.push([events.toLocaleString('en-US'), 'baseline', '–', mb(base.maxRssKb), '–', '–', '–', '–', '–'])
      for (const format of FORMATS) {
        const out = join(dir, `out-${events}.${format}`)
        const m = await child(['export', store, runId, format, out], dir)
        const wrote = /exported ([\d,]+) events/.exec(m.stderr)?.[1]?.replace(/,/g, '')
        if (Number(wrote) !== events) throw new Error(`expected ${events} events exported, got: ${m.stderr}`)
        rows.push(row(events, `export ${format}`, m, base, statSync(out).size))
        rmSync(out)
      }
      const out = join(dir, `naive-${events}.jsonl`)
      const naive = await child(['naive', store, runId, 'jsonl', out], dir)
      rows.push(row(events, 'naive jsonl (contrast)', naive, base, statSync(out).size))
      rmSync(out)
    }
    const largest = runs[runs.length - 1]!
    const caps: string[][] = []
    for (const format of FORMATS) {
      const out = join(dir, `capped.${format}`)
      caps.push([`export ${format}`, await capped(['export', store, largest.runId, format, out], dir)])
      rmSync(out, { force: true })
    }
    const naiveOut = join(dir, 'capped-naive.jsonl')
    caps.push(['naive jsonl', await capped(['naive', store, largest.runId, 'jsonl', naiveOut], dir)])
    rmSync(naiveOut, { force: true })

    const headers = [
      'EVENTS',
      'MODE',
      'PAGE',
      'PEAK RSS MB',
      '+ BASELINE MB',
      'RATIO',
      'OUTPUT MB',
      'TIME S',
      'EVENTS/S',
    ]
    process.stdout.write(`\n${table(headers, rows)}\n`)
    process.stdout.write(
      `\n${largest.events.toLocaleString('en-US')} events with V8's old space capped at ${HEAP_CAP_MB} MB (node --max-old-space-size=${HEAP_CAP_MB}):\n${table(['MODE', 'RESULT'], caps)}\n`,
    )
    process.stdout.write(
      `\npeak RSS: process.resourceUsage().maxRSS of each child; baseline = the same child loading the CLI,\nopening the store and reading the run summary. Node ${process.version}, ${process.platform} ${process.arch}.\n`,
    )
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

function row(events: number, mode: string, m: Measurement, base: Measurement, size: number): string[] {
  return [
    events.toLocaleString('en-US'),
    mode,
    mode.startsWith('naive') ? 'all' : '1000',
    mb(m.maxRssKb),
    mb(m.maxRssKb - base.maxRssKb),
    (m.maxRssKb / base.maxRssKb).toFixed(2),
    bytesMb(size),
    (m.ms / 1000).toFixed(2),
    Math.round(events / (m.ms / 1000)).toLocaleString('en-US'),
  ]
}

function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)))
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
      .join('  ')
      .trimEnd()
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n')
}

await main()
