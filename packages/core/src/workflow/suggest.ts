/**
 * "Did you mean" hints and lists of names, bounded: a workflow with 100,000 tasks and as many
 * unknown names must not make validation compare every name with every other (that took minutes)
 * or repeat the list of all tasks in every hint (that took hundreds of megabytes).
 */

/** Names longer than this get no suggestion (ids are at most 128 characters). */
const MAX_WORD = 128
/** Candidates compared per suggestion. */
const MAX_SCAN = 2000
/** Names listed in a hint before "…". */
const MAX_LISTED = 10

/** The closest candidate by edit distance, for "did you mean" hints. */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  if (word.length > MAX_WORD) return undefined
  const w = word.toLowerCase()
  const limit = Math.max(2, Math.floor(word.length / 3))
  let best: string | undefined
  let bestDistance = limit + 1
  let scanned = 0
  for (const c of candidates) {
    if (++scanned > MAX_SCAN) break
    // The distance is at least the difference in length: most candidates end here.
    if (Math.abs(c.length - w.length) >= bestDistance) continue
    const d = editDistance(w, c.toLowerCase(), bestDistance)
    if (d < bestDistance) {
      best = c
      bestDistance = d
    }
  }
  return best
}

/**
 * Levenshtein distance, or any number >= `bound` once it is sure to reach it (a row whose
 * smallest entry is `bound` or more cannot lead to less).
 */
function editDistance(a: string, b: string, bound: number): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!
    row[0] = i
    let min = row[0]
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j]!
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1))
      prev = tmp
      if (row[j]! < min) min = row[j]!
    }
    if (min >= bound) return bound
  }
  return row[b.length]!
}

/** At most ten names, quoted briefly, then how many there are: `a, b, c, … (2,000 in all)`. */
export function listNames(names: readonly string[]): string {
  const shown = names.slice(0, MAX_LISTED).map(brief)
  return names.length > MAX_LISTED ? `${shown.join(', ')}, … (${names.length} in all)` : shown.join(', ')
}

/** A user-given name as a message quotes it: at most 80 characters. */
export function brief(name: string): string {
  return name.length > 80 ? `${name.slice(0, 60)}… (${name.length} characters)` : name
}

/**
 * `closest` for one validation: after `maxCalls` suggestions it stops suggesting, so the work
 * stays bounded however many names are unknown.
 */
export function suggester(
  maxCalls = 200,
): (word: string, candidates: Iterable<string>) => string | undefined {
  let calls = 0
  return (word, candidates) => (++calls > maxCalls ? undefined : closest(word, candidates))
}
