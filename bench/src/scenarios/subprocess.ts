/**
 * Scenario 3: what a subprocess task costs through weft. 500 tasks that each run `true`, 8 at a
 * time, through @weft/backend-shell against the same 500 spawns through execa directly (what
 * the backend is built on) and through node:child_process (the floor).
 */
import { runChild } from '../lib/child.js'
import { int, num, ratio, spread, type Table } from '../lib/format.js'
import type { Context, Scenario, ScenarioOutput } from '../lib/scenario.js'
import { type Summary, summarize } from '../lib/stats.js'
import type { SubprocessChildInput } from './subprocess-child.js'

type System = SubprocessChildInput['system']
const SYSTEMS: System[] = ['spawn', 'execa', 'weft']

export const subprocess: Scenario = {
  name: 'subprocess',
  title: 'Subprocess overhead (shell tasks running `true`)',
  async run(ctx: Context): Promise<ScenarioOutput> {
    const n = ctx.quick ? 200 : 500
    const rounds = ctx.quick ? 1 : 3
    const samples: Record<System, number[]> = { spawn: [], execa: [], weft: [] }
    for (let round = 0; round < rounds; round++) {
      for (const system of SYSTEMS) {
        const input: SubprocessChildInput = { system, n, parallelism: 8, warmup: 1, runs: ctx.quick ? 1 : 2 }
        const out = await runChild<{ samples: number[] }>('scenarios/subprocess-child.ts', input, {
          timeoutMs: 300_000,
        })
        samples[system].push(...out.samples)
        ctx.log(`  ${system.padEnd(5)} round ${round + 1}: ${out.samples.map((ms) => num(ms)).join(', ')} ms`)
      }
    }
    const s = Object.fromEntries(SYSTEMS.map((k) => [k, summarize(samples[k])])) as Record<System, Summary>
    const perTask = (k: System) => summarize(samples[k].map((ms) => (ms * 1000) / n))
    const table: Table = {
      headers: ['system', `${n} tasks (ms)`, 'per task (µs)', 'tasks/s', 'vs execa', 'vs spawn'],
      rows: SYSTEMS.map((k) => [
        k === 'weft'
          ? 'weft + @weft/backend-shell'
          : k === 'execa'
            ? 'execa directly'
            : 'node:child_process.spawn',
        spread(s[k]),
        spread(perTask(k)),
        num(n / (s[k].median / 1000)),
        ratio(s[k].median, s.execa.median),
        ratio(s[k].median, s.spawn.median),
      ]),
    }
    const extraUs = ((s.weft.median - s.execa.median) * 1000) / n
    return {
      tables: [table],
      notes: [
        `Parallelism 8, ${int(n)} independent tasks, in-memory store; each system in fresh child processes, one warm-up run each, rounds interleaved. weft's shell backend runs each command in its own process group (detached), supervises it for cancel/pause and captures stdout/stderr; execa directly here uses its defaults with stdin ignored.`,
        `weft adds about ${num(extraUs)} µs of wall time per task over execa here (median difference / tasks).`,
      ],
      headline: [
        [
          `subprocess, ${int(n)} × \`true\`: per task`,
          `${num((s.weft.median * 1000) / n)} µs`,
          `execa ${num((s.execa.median * 1000) / n)} µs; spawn ${num((s.spawn.median * 1000) / n)} µs`,
          ratio(s.weft.median, s.execa.median),
        ],
      ],
      data: { n, samples, summaries: s },
    }
  },
}
