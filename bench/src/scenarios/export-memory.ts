/**
 * Scenario 7 (moved from apps/cli/bench): does `weft events export` stream with bounded memory?
 *
 * Writes runs of 10,000 and 100,000 events into a temp SQLite store (committed in batches), then
 * exports each in each format in a child process of its own and reports the child's peak RSS
 * next to a baseline child that loads the same CLI, opens the store and reads the run's summary
 * without exporting. A naive export (the whole log in memory) is measured too, as the contrast.
 *
 * What bounded looks like: the export's peak levels off as the log grows while the naive one
 * grows with the log. The proof that nothing is retained: the export of the largest run still
 * completes with V8's old space capped at 32 MB, where the naive export dies of heap exhaustion.
 *
 * Runs against the built CLI (`pnpm bench` builds first).
 */
import { execFile } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { BENCH_DIR, REPO_DIR } from '../lib/child.js'
import { commitRun, logEvents } from '../lib/direct-run.js'
import { int, mb, num, type Table } from '../lib/format.js'
import type { Context, Scenario, ScenarioOutput } from '../lib/scenario.js'

const here = dirname(fileURLToPath(import.meta.url))
const CHILD = join(here, 'export-child.mjs')
const FORMATS = ['jsonl', 'csv', 'json'] as const
const HEAP_CAP_MB = 32
const exec = promisify(execFile)

interface Measurement {
  maxRssKb: number
  ms: number
  stderr: string
}

async function child(args: string[], cwd: string, nodeArgs: string[] = []): Promise<Measurement> {
  const { stdout } = await exec(process.execPath, [...nodeArgs, CHILD, ...args], { cwd, maxBuffer: 1 << 20 })
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as Measurement
}

/** The same child with V8's old space capped: a bounded export fits, a whole-log one cannot. */
async function capped(args: string[], cwd: string): Promise<string> {
  try {
    const m = await child(args, cwd, [`--max-old-space-size=${HEAP_CAP_MB}`])
    return `ok, peak RSS ${mb(m.maxRssKb * 1024)} MB, ${num(m.ms / 1000)} s`
  } catch (err) {
    const text = String((err as { stderr?: string }).stderr ?? err)
    return /heap out of memory|Allocation failed/i.test(text)
      ? 'fails: JavaScript heap out of memory'
      : `fails: ${text.slice(0, 200)}`
  }
}

export const exportMemory: Scenario = {
  name: 'export-memory',
  title: 'Export memory (`weft events export` streams with bounded memory)',
  async run(ctx: Context): Promise<ScenarioOutput> {
    if (!existsSync(join(REPO_DIR, 'apps', 'cli', 'dist', 'index.js')))
      throw new Error('the CLI is not built: run `pnpm build`')
    const sizes = ctx.quick ? [10_000] : [10_000, 100_000]
    const dir = mkdtempSync(join(tmpdir(), 'weft-bench-export-'))
    const store = join(dir, 'weft.db')
    try {
      const runs: { events: number; runId: string }[] = []
      for (const n of sizes) {
        // One more event than asked for: run.created.
        const runId = await commitRun(store, {
          events: logEvents(n - 1),
          name: `bench-${n}`,
          batchSize: 1000,
        })
        runs.push({ events: n, runId })
      }
      const rows: string[][] = []
      const data: unknown[] = []
      for (const { events, runId } of runs) {
        const base = await child(['baseline', store, runId], BENCH_DIR)
        rows.push([
          int(events),
          'baseline (CLI loaded, store opened)',
          mb(base.maxRssKb * 1024),
          '–',
          '–',
          '–',
          '–',
        ])
        const measure = async (mode: string, format: string) => {
          const out = join(dir, `out-${events}.${format}`)
          const m = await child([mode, store, runId, format, out], BENCH_DIR)
          if (mode === 'export') {
            const wrote = /exported ([\d,]+) events/.exec(m.stderr)?.[1]?.replace(/,/g, '')
            if (Number(wrote) !== events)
              throw new Error(`expected ${events} events exported, got: ${m.stderr}`)
          }
          const size = statSync(out).size
          rmSync(out)
          rows.push([
            int(events),
            mode === 'naive' ? 'naive jsonl, whole log in memory (contrast)' : `export ${format}`,
            mb(m.maxRssKb * 1024),
            mb((m.maxRssKb - base.maxRssKb) * 1024),
            mb(size),
            num(m.ms / 1000),
            int(events / (m.ms / 1000)),
          ])
          data.push({ events, mode, format, ...m, baseRssKb: base.maxRssKb, bytes: size })
          ctx.log(`  ${int(events)} ${mode} ${format}: peak RSS ${mb(m.maxRssKb * 1024)} MB, ${num(m.ms)} ms`)
        }
        for (const format of ctx.quick ? (['jsonl'] as const) : FORMATS) await measure('export', format)
        await measure('naive', 'jsonl')
      }
      const tables: Table[] = [
        {
          headers: ['events', 'mode', 'peak RSS MB', '+ over baseline MB', 'output MB', 'time s', 'events/s'],
          rows,
        },
      ]
      if (!ctx.quick) {
        const largest = runs[runs.length - 1]!
        const caps: string[][] = []
        for (const format of FORMATS) {
          const out = join(dir, `capped.${format}`)
          caps.push([
            `export ${format}`,
            await capped(['export', store, largest.runId, format, out], BENCH_DIR),
          ])
          rmSync(out, { force: true })
        }
        const naiveOut = join(dir, 'capped-naive.jsonl')
        caps.push([
          'naive jsonl',
          await capped(['naive', store, largest.runId, 'jsonl', naiveOut], BENCH_DIR),
        ])
        rmSync(naiveOut, { force: true })
        tables.push({
          title: `${int(largest.events)} events with V8's old space capped at ${HEAP_CAP_MB} MB (node --max-old-space-size=${HEAP_CAP_MB})`,
          headers: ['mode', 'result'],
          rows: caps,
        })
        data.push({ capped: caps })
      }
      const largest = rows.filter((r) => r[1] === 'export jsonl').at(-1)
      return {
        tables,
        notes: [
          'Peak RSS: process.resourceUsage().maxRSS of each child; baseline = the same child loading the CLI, opening the store and reading the run summary. Pages of 1,000 events.',
        ],
        headline: largest
          ? [
              [
                `export ${largest[0]} events (JSONL): peak RSS over baseline`,
                `${largest[3]} MB`,
                `naive ${rows.filter((r) => r[1]?.startsWith('naive')).at(-1)?.[3] ?? '–'} MB`,
                '–',
              ],
            ]
          : [],
        data,
      }
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  },
}
