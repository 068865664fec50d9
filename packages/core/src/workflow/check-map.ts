/**
 * `map:` on a task: its list is a template over upstream outputs (or a literal list), and an
 * approval gate cannot be mapped (a person answers it once).
 */
import { collectTemplates } from '../template/template.js'
import type { AddDiagnostic, templateChecker } from './check-templates.js'

export function checkMap(
  map: Record<string, unknown>,
  id: string,
  task: Record<string, unknown>,
  checkTemplate: ReturnType<typeof templateChecker>,
  upstream: { has(id: string): boolean },
  add: AddDiagnostic,
): void {
  const path = ['tasks', id, 'map', 'over']
  if (typeof map.over === 'string' && !map.over.includes('${{')) {
    add({
      level: 'error',
      code: 'map_over_not_template',
      message: `task '${id}' maps over '${map.over}', which is neither a template nor a list`,
      path,
      hint: 'write `over: "${{ tasks.<id>.output.<list> }}"`, or a YAML list of items',
    })
  }
  // The list is rendered before any item exists: `item` and `index` are not readable in it.
  for (const t of collectTemplates(map.over, path)) checkTemplate(t.text, t.path, upstream, id, false)
  if (task.approval !== undefined) {
    add({
      level: 'error',
      code: 'map_on_approval',
      message: `task '${id}' is an approval gate and cannot be mapped`,
      path: ['tasks', id, 'map'],
      hint: 'map the task that does the work, and put one approval gate before or after it',
    })
  }
}
