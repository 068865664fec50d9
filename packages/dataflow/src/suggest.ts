/** The closest name by edit distance, for "did you mean" hints (bounded work). */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  if (word.length > 128) return undefined
  const limit = Math.max(2, Math.floor(word.length / 3))
  let best: string | undefined
  let bestDistance = limit + 1
  let scanned = 0
  for (const c of candidates) {
    if (++scanned > 2000) break
    if (Math.abs(c.length - word.length) >= bestDistance) continue
    const d = distance(word.toLowerCase(), c.toLowerCase())
    if (d < bestDistance) {
      best = c
      bestDistance = d
    }
  }
  return best
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!
    row[0] = i
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j]!
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1))
      prev = tmp
    }
  }
  return row[b.length]!
}

export function listNames(names: readonly string[]): string {
  return names.length > 10 ? `${names.slice(0, 10).join(', ')}, … (${names.length} in all)` : names.join(', ')
}
