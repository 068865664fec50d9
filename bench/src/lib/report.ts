/** latest.json, latest.md and the figures table of bench/README.md. */
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { markdownTable, type Table } from './format.js'
import type { Machine } from './machine.js'
import type { ScenarioOutput } from './scenario.js'

export interface ScenarioRecord extends Partial<ScenarioOutput> {
  name: string
  title: string
  /** When it was measured (with `--only`, scenarios of one report come from several runs). */
  date: string
  seconds: number
  error?: string
}

export interface Report {
  date: string
  mode: 'full' | 'quick'
  command: string
  seconds: number
  machine: Machine
  loadAverageAfter: number[]
  revision: string
  versions: Record<string, string>
  build: string
  scenarios: ScenarioRecord[]
}

/** With `--only`, the scenarios not run this time keep their figures from the previous report. */
export function merge(previous: Report | undefined, next: Report): Report {
  if (!previous || previous.mode !== next.mode) return next
  const names = new Set(next.scenarios.map((s) => s.name))
  const kept = previous.scenarios.filter((s) => !names.has(s.name))
  const order = [...previous.scenarios.map((s) => s.name), ...next.scenarios.map((s) => s.name)]
  const scenarios = [...kept, ...next.scenarios].sort((a, b) => order.indexOf(a.name) - order.indexOf(b.name))
  return { ...next, scenarios }
}

export function readReport(path: string): Report | undefined {
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as Report) : undefined
}

export function headlineTable(report: Report): Table {
  return {
    headers: ['figure', 'weft (median)', 'baseline (median)', 'ratio'],
    rows: report.scenarios.flatMap((s) =>
      s.error ? [[s.title, `failed: ${s.error}`, '–', '–']] : (s.headline ?? []),
    ),
  }
}

function machineLine(r: Report): string {
  const m = r.machine
  return `${m.cpu}, ${m.cores} cores, ${m.memoryGb} GB; ${m.os}; Node ${m.node}; load average ${m.loadAverage.join(' / ')} before, ${r.loadAverageAfter.join(' / ')} after (1/5/15 min; the machine is shared)`
}

export function markdown(r: Report): string {
  const parts = [
    `# weft benchmarks — ${r.mode === 'quick' ? 'quick pass' : 'latest full run'}`,
    '',
    `- date: ${r.date}; \`${r.command}\`; ${Math.round(r.seconds)} s in all`,
    `- machine: ${machineLine(r)}`,
    `- revision: ${r.revision}; build: ${r.build}`,
    `- versions: ${Object.entries(r.versions)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
    '',
    '## Summary',
    '',
    markdownTable(headlineTable(r)),
    '',
  ]
  for (const s of r.scenarios) {
    parts.push(
      `## ${s.title}`,
      '',
      `\`--only ${s.name}\`, ${Math.round(s.seconds)} s, measured ${s.date}`,
      '',
    )
    if (s.error) {
      parts.push(`**Failed:** ${s.error}`, '')
      continue
    }
    for (const t of s.tables ?? []) parts.push(markdownTable(t), '')
    for (const n of s.notes ?? []) parts.push(`- ${n}`)
    parts.push('')
  }
  return `${parts.join('\n').trimEnd()}\n`
}

const START = '<!-- figures:start -->'
const END = '<!-- figures:end -->'

/** Replaces the figures section of bench/README.md with the summary of `r`. */
export function updateReadme(path: string, r: Report): void {
  if (!existsSync(path)) return
  const text = readFileSync(path, 'utf8')
  const a = text.indexOf(START)
  const b = text.indexOf(END)
  if (a < 0 || b < a) return
  const section = [
    START,
    '',
    `Latest run, \`${r.command}\` (${r.date.slice(0, 16).replace('T', ' ')} UTC, ${Math.round(r.seconds)} s${r.command.includes('--only') ? '; the other scenarios are from earlier runs, each dated in results/latest.md' : ''}): ${machineLine(r)}. Revision ${r.revision}. Every scenario in detail: [results/latest.md](results/latest.md).`,
    '',
    markdownTable(headlineTable(r)),
    '',
    END,
  ].join('\n')
  writeFileSync(path, text.slice(0, a) + section + text.slice(b + END.length))
}

export function writeReport(dir: string, base: string, r: Report): void {
  writeFileSync(join(dir, `${base}.json`), `${JSON.stringify(r, null, 2)}\n`)
  writeFileSync(join(dir, `${base}.md`), markdown(r))
}
