/**
 * Summarizes V8 CPU profiles (`node --cpu-prof`): the frames with the most self time, or with
 * `--inclusive` the most total time (self and callees), each with its share of the samples.
 *
 *   tsx src/lib/profile-summary.ts PROFILE.cpuprofile… [--top N] [--inclusive]
 *
 * Several profiles (a process and its loader thread) are added up.
 */
import { readFileSync, realpathSync } from 'node:fs'
import { pathToFileURL } from 'node:url'

interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
  children?: number[]
}

interface CpuProfile {
  nodes: ProfileNode[]
  samples: number[]
  timeDeltas: number[]
}

export interface Frame {
  name: string
  where: string
  ms: number
  share: number
}

function frameKey(f: ProfileNode['callFrame']): { key: string; name: string; where: string } {
  const where = f.url
    ? `${f.url.replace(/^.*\/(packages|apps|bench|node_modules)\//, '$1/')}:${f.lineNumber + 1}`
    : ''
  const name = f.functionName || '(anonymous)'
  return { key: `${name}@${where}`, name, where }
}

export function topFrames(paths: string[], options: { top?: number; inclusive?: boolean } = {}) {
  const totals = new Map<string, { name: string; where: string; us: number }>()
  let total = 0
  for (const path of paths) {
    const profile = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile
    const byId = new Map(profile.nodes.map((n) => [n.id, n]))
    const parent = new Map<number, number>()
    for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
    const selfUs = new Map<number, number>()
    profile.samples.forEach((id, i) => {
      selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0))
    })
    for (const [id, us] of selfUs) {
      total += us
      // Self time goes to the sampled frame; inclusive time to each distinct frame on its stack.
      const keys = new Set<string>()
      for (
        let at: number | undefined = id;
        at !== undefined;
        at = options.inclusive ? parent.get(at) : undefined
      ) {
        const f = frameKey(byId.get(at)!.callFrame)
        if (keys.has(f.key)) continue
        keys.add(f.key)
        const entry = totals.get(f.key) ?? { name: f.name, where: f.where, us: 0 }
        entry.us += us
        totals.set(f.key, entry)
      }
    }
  }
  const frames: Frame[] = [...totals.values()]
    .filter((f) => !['(root)', '(program)', '(idle)'].includes(f.name))
    .sort((a, b) => b.us - a.us)
    .slice(0, options.top ?? 15)
    .map((f) => ({ name: f.name, where: f.where, ms: f.us / 1000, share: f.us / total }))
  return { totalMs: total / 1000, frames }
}

export function formatFrames(frames: Frame[]): string {
  return frames
    .map(
      (f) =>
        `${(f.share * 100).toFixed(1).padStart(5)}%  ${f.ms.toFixed(0).padStart(7)} ms  ${f.name}  ${f.where}`,
    )
    .join('\n')
}

if (process.argv[1] && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href) {
  const args = process.argv.slice(2)
  const inclusive = args.includes('--inclusive')
  const topAt = args.indexOf('--top')
  const top = topAt >= 0 ? Number(args[topAt + 1]) : 15
  const paths = args.filter((a, i) => !a.startsWith('--') && (topAt < 0 || i !== topAt + 1))
  if (paths.length === 0)
    throw new Error('usage: profile-summary.ts PROFILE.cpuprofile… [--top N] [--inclusive]')
  const { totalMs, frames } = topFrames(paths, { top, inclusive })
  process.stdout.write(
    `${totalMs.toFixed(0)} ms sampled; ${inclusive ? 'total' : 'self'} time\n${formatFrames(frames)}\n`,
  )
}
