import type { AddDiagnostic } from './check-templates.js'
import type { DocPath } from './load.js'
import { listNames } from './suggest.js'

const isObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v)

/**
 * An approval gate's `onReject` names tasks that need the gate (they run when it is rejected),
 * and `onTimeout` comes with a `timeoutMs`.
 */
export function checkApprovals(
  rawTasks: Record<string, unknown> | undefined,
  /** The value of each task, in the order of `taskIds`. */
  tasks: unknown[],
  taskIds: string[],
  add: AddDiagnostic,
): void {
  for (let at = 0; at < taskIds.length; at++) {
    const id = taskIds[at]!
    const task = tasks[at]
    const approval = isObject(task) && isObject(task.approval) ? task.approval : undefined
    if (!approval) continue
    const raw = approval.onReject
    const targets = typeof raw === 'string' ? [raw] : Array.isArray(raw) ? raw : []
    targets.forEach((target, i) => {
      if (typeof target !== 'string') return
      const path: DocPath = ['tasks', id, 'approval', 'onReject', ...(typeof raw === 'string' ? [] : [i])]
      const other = rawTasks![target]
      if (!Object.hasOwn(rawTasks!, target)) {
        add({
          level: 'error',
          code: 'approval_unknown_task',
          message: `approval '${id}' names '${target}' in onReject, which is not a task of this workflow`,
          path,
          hint: `known tasks: ${listNames(taskIds)}`,
        })
      } else if (!needsOf(other).includes(id)) {
        add({
          level: 'error',
          code: 'approval_reject_not_dependent',
          message: `approval '${id}' names '${target}' in onReject, but '${target}' does not need '${id}'`,
          path,
          hint: `add '${id}' to the needs of '${target}': the reject path runs after the gate`,
        })
      }
    })
    if (approval.onTimeout !== undefined && approval.timeoutMs === undefined) {
      add({
        level: 'warning',
        code: 'approval_timeout_missing',
        message: `approval '${id}' sets onTimeout but no timeoutMs, so it never times out`,
        path: ['tasks', id, 'approval', 'onTimeout'],
        hint: 'add `timeoutMs:` (how long to wait for an answer)',
      })
    }
  }
}

function needsOf(task: unknown): string[] {
  const needs = isObject(task) ? task.needs : undefined
  return typeof needs === 'string'
    ? [needs]
    : Array.isArray(needs)
      ? needs.filter((n) => typeof n === 'string')
      : []
}
