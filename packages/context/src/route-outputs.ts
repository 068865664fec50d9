import type { Json, TaskStatus, UpstreamOutput } from '@weft/core'
import { ContextError } from './context-error.js'
import { formatPath, parsePath, selectPath } from './select-path.js'

/** What routing needs to know of an upstream task; a core `TaskState` fits as is. */
export interface UpstreamTask {
  status: TaskStatus
  output?: Json
  /** The task's text answer, used when it produced no structured output. */
  text?: string
  completedAt?: string
}

/** A `from` entry left out of the context, and why. */
export interface SkippedSource {
  entry: string
  taskId: string
  status: TaskStatus
  reason: string
}

export interface RoutedOutputs {
  /** The selected outputs of succeeded tasks, in `from` order. */
  sources: UpstreamOutput[]
  /** Entries whose task did not succeed (failed, skipped, canceled, not finished). */
  skipped: SkippedSource[]
}

/**
 * Turns a task's `context.from` (default: its `needs`) into the upstream outputs it may see.
 * An entry is a task id (`plan`, the whole output, labelled `tasks.plan`) or a path into that
 * task's output (`plan.stops`, `plan.items[0]`, labelled `tasks.plan.stops`). Only succeeded tasks
 * contribute: a context must never be built from a failed attempt's leftovers, and the caller
 * reports the skipped entries. An entry naming a task the run does not have, or a path its output
 * does not have, throws: that is a mistake in the workflow, not a state of the run.
 */
export function routeOutputs(
  from: readonly string[] | undefined,
  needs: readonly string[],
  upstream: Readonly<Record<string, UpstreamTask>> | ReadonlyMap<string, UpstreamTask>,
): RoutedOutputs {
  // The runtime keeps task states in a Map; callers with plain objects need not convert.
  const lookup = (id: string): UpstreamTask | undefined =>
    isMap(upstream) ? upstream.get(id) : Object.hasOwn(upstream, id) ? upstream[id] : undefined
  const sources: UpstreamOutput[] = []
  const skipped: SkippedSource[] = []
  const seen = new Set<string>()
  for (const entry of from ?? needs) {
    const [taskId, ...path] = parseEntry(entry)
    const label = `tasks.${formatPath([taskId, ...path])}`
    // The same entry written twice would repeat a source and pay for it twice.
    if (seen.has(label)) continue
    seen.add(label)

    const task = lookup(taskId)
    if (!task) {
      const known = isMap(upstream) ? [...upstream.keys()] : Object.keys(upstream)
      throw new ContextError(
        'unknown_task',
        `context.from '${entry}': there is no task '${taskId}' upstream`,
        {
          hint: known.length > 0 ? `upstream tasks: ${known.join(', ')}` : 'this task has no upstream tasks',
        },
      )
    }
    if (task.status !== 'succeeded') {
      skipped.push({ entry, taskId, status: task.status, reason: `task '${taskId}' is ${task.status}` })
      continue
    }
    const whole: Json = task.output !== undefined ? task.output : (task.text ?? null)
    const value = path.length > 0 ? selectPath(whole, path, { root: taskId }) : whole
    sources.push({
      taskId,
      label,
      value,
      ...(task.completedAt !== undefined ? { completedAt: task.completedAt } : {}),
    })
  }
  return { sources, skipped }
}

/** `plan.stops[0]` → ['plan', 'stops', 0]; the first segment must be a task id. */
function parseEntry(entry: string): [string, ...(string | number)[]] {
  let segments: (string | number)[]
  try {
    segments = parsePath(entry)
  } catch (err) {
    throw new ContextError('path_invalid', `context.from '${entry}': ${(err as Error).message}`, {
      hint: 'an entry is a task id (plan) or a path into its output (plan.stops, plan.items[0])',
      cause: err,
    })
  }
  const [taskId, ...path] = segments
  if (typeof taskId !== 'string') {
    throw new ContextError('path_invalid', `context.from '${entry}' does not start with a task id`, {
      hint: 'an entry is a task id (plan) or a path into its output (plan.stops, plan.items[0])',
    })
  }
  return [taskId, ...path]
}

function isMap<V>(
  value: Readonly<Record<string, V>> | ReadonlyMap<string, V>,
): value is ReadonlyMap<string, V> {
  return value instanceof Map
}
