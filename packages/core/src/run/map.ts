/**
 * Maps (`map:` on a task). A mapped task whose needs are met renders its list and runs as one item
 * task per item, `review[0]`, `review[1]`…: `task.mapped`, then a `task.added` per item that
 * carries the item, so replay and recovery rebuild the items from the log alone. Items run with
 * the mapped task's backend and settings, at most `maxParallel` at once; when every item has ended,
 * the mapped task ends, its output the array of the items' outputs in item order.
 */
import type { ErrorInfo, EventType, Json, TaskState } from '@weft/spec'
import { isTerminalTaskStatus } from '@weft/spec'
import { mapItemId, type PlannedTask, planMapItem } from '../runtime/plan.js'
import { renderTemplate } from '../template/template.js'
import type { LiveRun } from './live-run.js'
import { failTask, finishWithout } from './transitions.js'

/** The events that end a task (each happens once per task). */
const ENDING_EVENTS: ReadonlySet<EventType> = new Set([
  'task.succeeded',
  'task.failed',
  'task.canceled',
  'task.skipped',
  'task.reused',
])

/** Items one mapped task may expand into. */
export const MAX_MAP_ITEMS = 100_000

/** What the run keeps about its maps between steps (rebuilt from the states when it is loaded). */
export class MapTracker {
  /** Items that have ended, and those of them that did not succeed, per mapped task. */
  private readonly ended = new Map<string, number>()
  private readonly failed = new Map<string, number>()
  /** Mapped tasks whose unstarted items were skipped after a failure (`onItemFailure: fail`). */
  readonly stopped = new Set<string>()
  /** Mapped tasks with an item that ended since the last step. */
  readonly toSettle = new Set<string>()
  /** Items taken off the ready queue while their map was at `maxParallel`, in the order taken. */
  private readonly parked = new Map<string, { ids: string[]; head: number }>()

  /**
   * An item's state changed: counted once, by the event that ended it (later events on an ended
   * task, its usage or a log line, change it too but do not end it again). `undefined`: counted
   * from a state loaded from the store.
   */
  itemChanged(t: TaskState, by: EventType | undefined): void {
    if (t.parent === undefined || !isTerminalTaskStatus(t.status)) return
    if (by !== undefined && !ENDING_EVENTS.has(by)) return
    this.ended.set(t.parent, (this.ended.get(t.parent) ?? 0) + 1)
    if (t.status !== 'succeeded') this.failed.set(t.parent, (this.failed.get(t.parent) ?? 0) + 1)
    this.toSettle.add(t.parent)
  }

  endedOf(parent: string): number {
    return this.ended.get(parent) ?? 0
  }

  failedOf(parent: string): number {
    return this.failed.get(parent) ?? 0
  }

  park(parent: string, taskId: string): void {
    let queue = this.parked.get(parent)
    if (!queue) {
      queue = { ids: [], head: 0 }
      this.parked.set(parent, queue)
    }
    queue.ids.push(taskId)
  }

  /** Takes up to `n` parked items of a map, oldest first. */
  unpark(parent: string, n: number): string[] {
    const queue = this.parked.get(parent)
    if (!queue || n <= 0) return []
    const out = queue.ids.slice(queue.head, queue.head + n)
    queue.head += out.length
    if (queue.head >= queue.ids.length) this.parked.delete(parent)
    return out
  }

  get hasParked(): boolean {
    return this.parked.size > 0
  }

  get parkedMaps(): Iterable<string> {
    return this.parked.keys()
  }
}

/** After a load from the store: item plans and ended counts from the task states. */
export function restoreMaps(run: LiveRun): void {
  for (const t of run.state.tasks.values()) {
    if (t.parent === undefined) continue
    const parent = run.plan.tasks.get(t.parent)
    if (parent && !run.plan.tasks.has(t.taskId))
      run.plan.tasks.set(t.taskId, planMapItem(parent, t.index ?? 0, t.item ?? null, t.order))
    // Counted as they are; a map whose items all ended before the crash is settled by the next step.
    run.maps.itemChanged(t, undefined)
  }
}

/** A mapped task whose needs are met (and whose `when` passed): renders its list and adds its items. */
export function expandMap(run: LiveRun, id: string): void {
  const planned = run.plan.tasks.get(id)!
  const map = planned.map!
  let items: unknown
  try {
    items = typeof map.over === 'string' ? renderTemplate(map.over, run.scope()) : map.over
  } catch (err) {
    failTask(run, id, { code: 'template', message: `map.over: ${(err as Error).message}`, retryable: false })
    return
  }
  if (!Array.isArray(items)) {
    failTask(run, id, {
      code: 'map_not_a_list',
      message: `map.over of task '${id}' rendered ${describe(items)}, not a list`,
      retryable: false,
      hint: 'point map.over at an array, e.g. `${{ tasks.plan.output.files }}`',
    })
    return
  }
  if (items.length > MAX_MAP_ITEMS) {
    failTask(run, id, {
      code: 'map_too_large',
      message: `map.over of task '${id}' has ${items.length} items; a map takes at most ${MAX_MAP_ITEMS}`,
      retryable: false,
      hint: 'split the list across several tasks, or batch items together',
    })
    return
  }
  run.record({ type: 'task.mapped', taskId: id, data: { items: items.length } })
  let order = run.state.tasks.size
  for (let i = 0; i < items.length; i++) {
    const item = (items[i] ?? null) as Json
    const child = planMapItem(planned, i, item, order++)
    run.plan.tasks.set(child.id, child)
    const data: {
      needs: string[]
      priority: number
      backend?: string
      parent: string
      index: number
      item: Json
    } = {
      needs: [],
      priority: child.priority,
      parent: id,
      index: i,
      item,
    }
    if (child.backend) data.backend = child.backend
    run.record({ type: 'task.added', taskId: child.id, data })
  }
  run.graph.rebuild()
  if (items.length === 0) run.maps.toSettle.add(id)
}

/** Whether a ready item must wait: its map already runs `maxParallel` items. */
export function mapIsFull(run: LiveRun, planned: PlannedTask | undefined): boolean {
  const parent = planned?.mapItem?.parent
  if (parent === undefined) return false
  const limit = run.plan.tasks.get(parent)?.map?.maxParallel
  return limit !== undefined && activeItems(run, parent) >= limit
}

/** Offers parked items again, as many as their maps have room for. */
export function unparkItems(run: LiveRun): void {
  // Every step calls this; most runs have no map waiting: no copy of the (empty) list then.
  if (!run.maps.hasParked) return
  for (const parent of [...run.maps.parkedMaps]) {
    const limit = run.plan.tasks.get(parent)?.map?.maxParallel ?? Number.POSITIVE_INFINITY
    for (const id of run.maps.unpark(parent, limit - activeItems(run, parent))) run.graph.offer(id)
  }
}

/** Items of a map holding a slot (attempts are at most the run's parallelism: a short walk). */
function activeItems(run: LiveRun, parent: string): number {
  let n = 0
  for (const a of run.attempts.values()) if (run.plan.tasks.get(a.taskId)?.mapItem?.parent === parent) n++
  return n
}

/** Ends the mapped tasks whose items have all ended; on an item's failure applies `onItemFailure`. */
export function settleMaps(run: LiveRun): void {
  if (run.maps.toSettle.size === 0) return
  const parents = [...run.maps.toSettle]
  run.maps.toSettle.clear()
  for (const id of parents) settleMap(run, id)
}

function settleMap(run: LiveRun, id: string): void {
  const t = run.task(id)
  if (t.status !== 'running' || !t.map) return
  const items = t.map.items
  const policy = run.plan.tasks.get(id)?.map?.onItemFailure ?? 'fail'
  const failing = policy === 'fail' && run.maps.failedOf(id) > 0
  if (failing && !run.maps.stopped.has(id)) {
    // Items not started yet will not start; running ones finish, then the mapped task fails.
    run.maps.stopped.add(id)
    const failed = firstFailed(run, id, items)!
    for (let i = 0; i < items; i++) {
      const item = run.task(mapItemId(id, i))
      if (item.status === 'pending' || item.status === 'queued' || item.status === 'retrying') {
        run.timers.forget(item.taskId)
        finishWithout(run, item.taskId, 'skipped', `item '${failed.taskId}' of '${id}' failed`)
      }
    }
  }
  // Each ended item is counted once: the whole map is walked again only when it ends.
  if (run.maps.endedOf(id) < items) return
  if (failing) {
    const failed = firstFailed(run, id, items)!
    const error: ErrorInfo = {
      code: 'map_item_failed',
      message: `item ${failed.index} of ${items} ('${failed.taskId}') failed: ${failed.error?.message ?? failed.reason ?? failed.status}`,
      retryable: false,
    }
    failTask(run, id, error)
    return
  }
  const output: Json[] = []
  for (let i = 0; i < items; i++) {
    const item = run.task(mapItemId(id, i))
    if (item.status === 'succeeded') output.push(item.output ?? null)
    else if (policy === 'collect')
      output.push({
        error: item.error
          ? { code: item.error.code, message: item.error.message }
          : { code: item.status, message: item.reason ?? item.status },
      })
  }
  run.record({
    type: 'task.succeeded',
    taskId: id,
    data: { output, durationMs: run.clock.now() - Date.parse(t.startedAt ?? run.clock.iso()) },
  })
}

/** The first item (by index) that failed, else the first that was canceled or skipped. */
function firstFailed(run: LiveRun, id: string, items: number): TaskState | undefined {
  let other: TaskState | undefined
  for (let i = 0; i < items; i++) {
    const item = run.task(mapItemId(id, i))
    if (item.status === 'failed') return item
    if (!other && (item.status === 'canceled' || item.status === 'skipped')) other = item
  }
  return other
}

function describe(value: unknown): string {
  if (value === null) return 'null'
  if (typeof value === 'string') return `the text '${value.length > 40 ? `${value.slice(0, 40)}…` : value}'`
  return `a value of type ${typeof value}`
}
