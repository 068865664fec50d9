/**
 * Scenario 6: cold start, as whole processes. `node -e 0` (the floor), `weft --version`,
 * `weft --help` (both load only the CLI's entry and commander: each command's code is imported
 * when that command runs), and `weft run examples/hello.yaml` on a fresh SQLite store (migrations
 * included), each spawned anew every time, interleaved.
 */
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { REPO_DIR } from '../lib/child.js'
import { num, ratio, spread, type Table } from '../lib/format.js'
import type { Context, Scenario, ScenarioOutput } from '../lib/scenario.js'
import { type Summary, summarize } from '../lib/stats.js'

const WEFT = join(REPO_DIR, 'apps', 'cli', 'bin', 'weft.js')
/** The critical path of examples/hello.yaml's scripted delays: plan 400 → food 700 → write 300. */
const HELLO_WORK_MS = 1400

function timed(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now()
    const child = spawn(process.execPath, args, { cwd: REPO_DIR, env, stdio: ['ignore', 'ignore', 'pipe'] })
    let stderr = ''
    child.stderr.on('data', (d: Buffer) => {
      stderr += d
    })
    child.on('error', reject)
    child.on('close', (code) => {
      const ms = performance.now() - t0
      if (code === 0) resolve(ms)
      else reject(new Error(`node ${args.join(' ')} exited ${code}: ${stderr.slice(-400)}`))
    })
  })
}

export const coldStart: Scenario = {
  name: 'cold-start',
  title: 'Cold start (whole processes)',
  async run(ctx: Context): Promise<ScenarioOutput> {
    if (!existsSync(join(REPO_DIR, 'apps', 'cli', 'dist', 'bin.js')))
      throw new Error('the CLI is not built: run `pnpm build`')
    const repeats = ctx.quick ? 3 : 10
    const runs = ctx.quick ? 2 : 5
    const samples = {
      node: [] as number[],
      version: [] as number[],
      help: [] as number[],
      run: [] as number[],
    }
    const env = { ...process.env, NO_COLOR: '1' }
    await timed(['-e', '0']) // page cache
    await timed([WEFT, '--version'])
    for (let i = 0; i < repeats; i++) {
      samples.node.push(await timed(['-e', '0']))
      samples.version.push(await timed([WEFT, '--version'], env))
      samples.help.push(await timed([WEFT, '--help'], env))
      if (i < runs) {
        const dir = mkdtempSync(join(tmpdir(), 'weft-bench-cold-'))
        try {
          samples.run.push(
            await timed([WEFT, 'run', 'examples/hello.yaml', '--store', join(dir, 'weft.db')], env),
          )
        } finally {
          rmSync(dir, { recursive: true, force: true })
        }
      }
    }
    const s = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, summarize(v)])) as Record<
      keyof typeof samples,
      Summary
    >
    ctx.log(
      `  node -e 0 ${num(s.node.median)} ms; weft --version ${num(s.version.median)} ms; weft --help ${num(s.help.median)} ms; weft run hello ${num(s.run.median)} ms`,
    )
    const overhead = summarize(samples.run.map((ms) => ms - HELLO_WORK_MS))
    const table: Table = {
      headers: ['command', 'wall ms', 'vs node -e 0'],
      rows: [
        ['node -e 0', spread(s.node), '1.0×'],
        ['weft --version', spread(s.version), ratio(s.version.median, s.node.median)],
        ['weft --help', spread(s.help), ratio(s.help.median, s.node.median)],
        [
          'weft run examples/hello.yaml (fresh SQLite store)',
          spread(s.run),
          ratio(s.run.median, s.node.median),
        ],
        [
          `… minus the ${HELLO_WORK_MS} ms of scripted task delays on its critical path`,
          spread(overhead),
          ratio(overhead.median, s.node.median),
        ],
      ],
    }
    return {
      tables: [table],
      notes: [
        `The built CLI (apps/cli/bin/weft.js → dist), spawned with the same node; ${repeats} × node, --version and --help, ${runs} × run, interleaved, after one warm-up each.`,
      ],
      headline: [
        [
          'cold start: weft --version',
          `${num(s.version.median)} ms`,
          `node -e 0 ${num(s.node.median)} ms`,
          ratio(s.version.median, s.node.median),
        ],
        [
          'cold start: weft run hello.yaml, less its 1.4 s of scripted work',
          `${num(overhead.median)} ms`,
          `node -e 0 ${num(s.node.median)} ms`,
          ratio(overhead.median, s.node.median),
        ],
      ],
      data: { samples, summaries: s },
    }
  },
}
