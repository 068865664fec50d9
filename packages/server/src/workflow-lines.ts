/**
 * What the parse worker and the server exchange, and the positions of a document's keys: a
 * `Locator` cannot cross threads, so the worker sends a table of lines instead. No heavy imports:
 * the worker loads this file.
 */
import type { Diagnostic, Locator } from '@weft/core'

export interface ParseRequest {
  id: number
  text: string
  file?: string
  /** Above this many tasks the lines are not worth computing: the run is refused anyway. */
  maxTasks: number
}

export type ParseReply =
  | { id: number; value: unknown; diagnostics: Diagnostic[]; tasks?: number; lines?: LineEntry[] }
  | { id: number; failure: string }
  | { warning: string }

/** A path of the document (joined by NUL) and where its key is. */
type LineEntry = [path: string, line: number, column: number]

/** Paths located for a worker-parsed document: enough for diagnostics to name a task's line. */
const MAX_LINE_ENTRIES = 50_000
const MAX_LINE_DEPTH = 4
const SEP = '\u0000'

/** The number of tasks of a workflow value (0 when it has none or is not one). */
export function countTasks(value: unknown): number {
  const tasks = isObject(value) ? value.tasks : undefined
  return isObject(tasks) ? Object.keys(tasks).length : 0
}

/**
 * The lines of the document's keys up to a few levels deep (`tasks.<id>.with.<key>`), so that a
 * worker can hand positions back to the thread that validates.
 */
export function lineTable(
  value: unknown,
  locate: Locator,
  maxTasks: number,
): { tasks: number; lines?: LineEntry[] } {
  const tasks = countTasks(value)
  if (tasks > maxTasks) return { tasks }
  const lines: LineEntry[] = []
  const stack: [unknown, (string | number)[]][] = [[value, []]]
  while (stack.length > 0 && lines.length < MAX_LINE_ENTRIES) {
    const [v, path] = stack.pop()!
    if (path.length > 0) {
      const at = locate(path)
      if (at) lines.push([path.join(SEP), at.line, at.column])
    }
    if (path.length >= MAX_LINE_DEPTH || typeof v !== 'object' || v === null) continue
    const entries: [string | number, unknown][] = Array.isArray(v)
      ? v.map((x, i) => [i, x])
      : Object.entries(v as Record<string, unknown>)
    for (const [k, child] of entries) stack.push([child, [...path, k]])
  }
  return { tasks, lines }
}

export function locatorOf(lines: LineEntry[] | undefined): Locator {
  const table = new Map(lines?.map(([p, line, column]) => [p, { line, column }]))
  return (path) => {
    for (let n = path.length; n > 0; n--) {
      const at = table.get(path.slice(0, n).join(SEP))
      if (at) return at
    }
    return undefined
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}
