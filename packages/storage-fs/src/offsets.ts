/**
 * Where events start in each run's `events.jsonl`, remembered from this process's own appends and
 * reads: `events.read(afterSeq)` then starts reading near `afterSeq` instead of at the top of the
 * file, so following or exporting a long log is linear, not quadratic.
 *
 * Committed bytes of a log never move (appends only add; repair only cuts what was never
 * committed), so a remembered offset stays right for as long as the file is the same file. A
 * deleted run whose id came back would be another file: entries are keyed by inode.
 */
export class OffsetIndex {
  /** Per run: the file's inode and points [seq, offset of the line after seq], ascending. */
  private readonly runs = new Map<string, { ino: number; points: [number, number][] }>()

  constructor(private readonly maxRuns = 256) {}

  /** The line of event `seq + 1` starts at byte `offset` of the log with inode `ino`. */
  remember(runId: string, ino: number, seq: number, offset: number): void {
    let entry = this.runs.get(runId)
    if (!entry || entry.ino !== ino) {
      entry = { ino, points: [[0, 0]] }
      this.runs.set(runId, entry)
      if (this.runs.size > this.maxRuns) this.runs.delete(this.runs.keys().next().value!)
    }
    const points = entry.points
    const at = upperBound(points, seq)
    if (at > 0 && points[at - 1]![0] === seq) return
    points.splice(at, 0, [seq, offset])
  }

  /** The best known start: the highest remembered seq at or below `afterSeq`, with its offset. */
  startFor(runId: string, ino: number, afterSeq: number): [seq: number, offset: number] {
    const entry = this.runs.get(runId)
    if (!entry || entry.ino !== ino) return [0, 0]
    const at = upperBound(entry.points, afterSeq)
    return at > 0 ? entry.points[at - 1]! : [0, 0]
  }

  forget(runId: string): void {
    this.runs.delete(runId)
  }
}

/** First index whose seq is greater than `seq`. */
function upperBound(points: [number, number][], seq: number): number {
  let lo = 0
  let hi = points.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (points[mid]![0] <= seq) lo = mid + 1
    else hi = mid
  }
  return lo
}
