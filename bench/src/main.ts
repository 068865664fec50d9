/**
 * `pnpm bench` at the repository root: builds what the benchmarks load, runs every scenario (or
 * `--only a,b`), and writes results/latest.{md,json} and the figures table of bench/README.md.
 * `--quick` is a short pass (smaller sizes, fewer repeats) written to results/quick.{md,json}.
 * `--no-build` skips the build.
 */
import { execFileSync } from 'node:child_process'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { BENCH_DIR, REPO_DIR } from './lib/child.js'
import { gitRevision, machine, versions } from './lib/machine.js'
import {
  merge,
  type Report,
  readReport,
  type ScenarioRecord,
  updateReadme,
  writeReport,
} from './lib/report.js'
import { SCENARIO_NAMES } from './scenarios/names.js'

function parseArgs(argv: string[]) {
  const args = { quick: false, only: undefined as string[] | undefined, build: true }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!
    if (a === '--') continue
    else if (a === '--quick') args.quick = true
    else if (a === '--no-build') args.build = false
    else if (a === '--only' || a.startsWith('--only=')) {
      const value = a.includes('=') ? a.slice('--only='.length) : argv[++i]
      args.only = (value ?? '').split(',').filter(Boolean)
    } else if (a === '--help' || a === '-h') {
      process.stdout.write(`pnpm bench [--quick] [--only ${SCENARIO_NAMES.join(',')}] [--no-build]\n`)
      process.exit(0)
    } else throw new Error(`unknown argument '${a}' (try --help)`)
  }
  const unknown = args.only?.filter((n) => !SCENARIO_NAMES.includes(n)) ?? []
  if (unknown.length)
    throw new Error(`unknown scenario(s): ${unknown.join(', ')}; known: ${SCENARIO_NAMES.join(', ')}`)
  return args
}

const log = (message: string) => process.stderr.write(`${message}\n`)

function build(): string {
  // The JavaScript build (`pnpm build`, seconds): the benchmarks load each package's dist.
  log('building the packages the benchmarks load (pnpm build)…')
  try {
    execFileSync('pnpm', ['build'], { cwd: REPO_DIR, stdio: ['ignore', 'ignore', 'inherit'] })
    return 'ok'
  } catch (err) {
    log('the build failed: measuring the packages as they were last built')
    return `failed (${(err as Error).message.split('\n')[0]}); figures use the packages as last built`
  }
}

/** The repository's formatter (biome) lays out the tables, so that `pnpm lint` stays clean. */
function formatOutputs(paths: string[]): void {
  try {
    execFileSync('pnpm', ['exec', 'biome', 'format', '--write', ...paths], { cwd: REPO_DIR, stdio: 'ignore' })
  } catch {
    log('could not format the reports with biome; `pnpm format` does it')
  }
}

async function main() {
  const args = parseArgs(process.argv.slice(2))
  const started = performance.now()
  const buildResult = args.build ? build() : 'skipped (--no-build)'
  const before = machine()
  log(
    `machine: ${before.cpu}, ${before.cores} cores, ${before.memoryGb} GB, Node ${before.node}, load ${before.loadAverage.join(' ')}`,
  )
  // Imported after the build: some scenarios load the packages' dist at import time.
  const { SCENARIOS } = await import('./scenarios/index.js')
  const records: ScenarioRecord[] = []
  for (const scenario of SCENARIOS) {
    if (args.only && !args.only.includes(scenario.name)) continue
    log(`\n== ${scenario.title}`)
    const t0 = performance.now()
    try {
      const out = await scenario.run({ quick: args.quick, log })
      records.push({
        name: scenario.name,
        title: scenario.title,
        date: new Date().toISOString(),
        seconds: (performance.now() - t0) / 1000,
        ...out,
      })
    } catch (err) {
      log(`  failed: ${(err as Error).stack ?? err}`)
      records.push({
        name: scenario.name,
        title: scenario.title,
        date: new Date().toISOString(),
        seconds: (performance.now() - t0) / 1000,
        error: (err as Error).message.split('\n')[0]!,
      })
    }
    log(`  (${Math.round((performance.now() - t0) / 1000)} s)`)
  }
  const report: Report = {
    date: new Date().toISOString(),
    mode: args.quick ? 'quick' : 'full',
    command: `pnpm bench${process.argv.slice(2).length ? ` ${process.argv.slice(2).join(' ')}` : ''}`,
    seconds: (performance.now() - started) / 1000,
    machine: before,
    loadAverageAfter: machine().loadAverage,
    revision: gitRevision(),
    versions: versions(),
    build: buildResult,
    scenarios: records,
  }
  const dir = join(BENCH_DIR, 'results')
  mkdirSync(dir, { recursive: true })
  const base = args.quick ? 'quick' : 'latest'
  const merged = args.only ? merge(readReport(join(dir, `${base}.json`)), report) : report
  writeReport(dir, base, merged)
  if (!args.quick) updateReadme(join(BENCH_DIR, 'README.md'), merged)
  formatOutputs([
    join(dir, `${base}.md`),
    join(dir, `${base}.json`),
    ...(args.quick ? [] : [join(BENCH_DIR, 'README.md')]),
  ])
  log(
    `\nwrote bench/results/${base}.md and ${base}.json${args.quick ? '' : ' and the figures of bench/README.md'} (${Math.round(report.seconds)} s)`,
  )
  if (records.some((r) => r.error)) process.exitCode = 1
}

await main()
