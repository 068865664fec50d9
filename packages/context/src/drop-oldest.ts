import type { Section } from './sections.js'

/**
 * The order in which `drop-oldest-source` gives up upstream outputs: by `completedAt`, oldest
 * first; outputs without a (valid) time go before the timed ones, in their `from` order, since
 * nothing says they are any newer. The run's inputs are never in this list: they are the task's
 * own parameters, not an upstream result that has aged.
 */
export function dropOrder(sections: readonly Section[]): number[] {
  const keyed = sections.flatMap((section, index) => {
    if (section.kind !== 'source') return []
    const time = section.completedAt === undefined ? Number.NaN : Date.parse(section.completedAt)
    return [{ index, time: Number.isNaN(time) ? Number.NEGATIVE_INFINITY : time }]
  })
  keyed.sort((x, y) => (x.time === y.time ? x.index - y.index : x.time < y.time ? -1 : 1))
  return keyed.map((k) => k.index)
}

/**
 * Which sections stay: the oldest upstream outputs are dropped whole, one at a time, until the
 * rest fits. The last one is never dropped: a single output over the cap is cut instead, because
 * part of the newest result is worth more than an empty context.
 */
export function dropOldestSources(
  sections: readonly Section[],
  fits: (kept: readonly Section[]) => boolean,
): boolean[] {
  const included = sections.map(() => true)
  let remaining = sections.filter((s) => s.kind === 'source').length
  for (const index of dropOrder(sections)) {
    if (remaining <= 1 || fits(sections.filter((_, i) => included[i]))) break
    included[index] = false
    remaining--
  }
  return included
}
