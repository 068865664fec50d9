import type { Diagnostic } from '@weft/spec'
import { type Expression, expressionPaths } from '../template/expression.js'
import { parseTemplate, TemplateError } from '../template/template.js'
import type { WorkflowLimits } from './limits.js'
import type { DocPath } from './load.js'
import { closest, listNames } from './suggest.js'

export type AddDiagnostic = (
  d: Omit<Diagnostic, 'file' | 'line' | 'column' | 'path'> & { path?: DocPath },
) => void

export interface TemplateContext {
  add: AddDiagnostic
  declaredInputs: Record<string, unknown>
  rawTasks: Record<string, unknown> | undefined
  taskIds: string[]
  limits: WorkflowLimits
  /** `closest` with a budget for the whole validation. */
  suggest: (word: string, candidates: Iterable<string>) => string | undefined
}

/**
 * Checks one template string: its syntax and size, and that every path it reads exists and is
 * readable from where it is used (`allowed`: the tasks upstream of `taskId`, or all for outputs).
 */
export function templateChecker(ctx: TemplateContext) {
  const { add, declaredInputs, rawTasks, taskIds } = ctx
  return (
    text: string,
    path: DocPath,
    allowed: { has(id: string): boolean } | 'all',
    taskId?: string,
    /** In the prompt, input or options of a task with `map:`: `item` and `index` are readable. */
    mapped = false,
    /** In a task's `compensate:`: `output` (the task's own output) is readable. */
    compensation = false,
  ) => {
    let exprs: Expression[]
    try {
      exprs = parseTemplate(text, {
        maxLength: ctx.limits.maxExpressionLength,
        maxDepth: ctx.limits.maxExpressionDepth,
      }).flatMap((p) => (typeof p === 'string' ? [] : [p.expr]))
    } catch (err) {
      if (!(err instanceof TemplateError)) throw err
      add(
        err.limit
          ? {
              level: 'error',
              code: err.limit === 'depth' ? 'template_too_deep' : 'template_too_long',
              message: `template refused: ${err.message}`,
              path,
              hint:
                err.limit === 'depth'
                  ? 'simplify the condition (fewer nested parentheses and `!`), or compute it in a task'
                  : 'shorten the expression, or compute the value in a task and read its output',
            }
          : {
              level: 'error',
              code: 'template_syntax',
              message: `bad template: ${err.message}`,
              path,
              hint: 'write `${{ inputs.name }}` or `${{ tasks.<id>.output }}`; strings go in quotes',
            },
      )
      return
    }
    for (const ref of exprs.flatMap(expressionPaths)) {
      const [root, name, field] = ref.segments
      if (root === 'inputs') {
        if (typeof name !== 'string' || !Object.hasOwn(declaredInputs, name)) {
          const guess = typeof name === 'string' ? ctx.suggest(name, Object.keys(declaredInputs)) : undefined
          add({
            level: 'error',
            code: 'template_unknown_input',
            message: `template reads '${ref.source}', but the workflow declares no input '${String(name)}'`,
            path,
            hint: guess
              ? `did you mean 'inputs.${guess}'?`
              : `declare it under \`inputs:\` (e.g. \`${String(name)}: { type: string }\`)`,
          })
        }
      } else if (root === 'tasks') {
        if (typeof name !== 'string' || !Object.hasOwn(rawTasks ?? {}, name)) {
          const guess = typeof name === 'string' ? ctx.suggest(name, taskIds) : undefined
          add({
            level: 'error',
            code: 'template_unknown_task',
            message: `template reads '${ref.source}', but there is no task '${String(name)}'`,
            path,
            hint: guess ? `did you mean 'tasks.${guess}'?` : `known tasks: ${listNames(taskIds)}`,
          })
        } else if (allowed !== 'all' && !allowed.has(name)) {
          add({
            level: 'error',
            code: 'template_not_upstream',
            message: `task '${taskId}' reads '${ref.source}', but '${name}' is not upstream of it, so its output may not exist yet`,
            path,
            hint: `add '${name}' to the needs of '${taskId}'`,
          })
        } else if (field !== undefined && !TASK_FIELDS.includes(String(field))) {
          // `tasks.a.outptu` is a misspelt field; `tasks.a.items` a member of the output.
          const guess = typeof field === 'string' ? closest(field, TASK_FIELDS) : undefined
          add({
            level: 'error',
            code: 'template_unknown_field',
            message: `template reads '${ref.source}'; a task has 'output', 'text' and 'status', not '${String(field)}'`,
            path,
            hint: guess
              ? `did you mean 'tasks.${name}.${guess}'?`
              : `write 'tasks.${name}.output.${String(field)}' to read a member of its output`,
          })
        }
      } else if (root === 'context') {
        if (taskId === undefined) {
          add({
            level: 'error',
            code: 'template_context_outside_task',
            message: `'${ref.source}' is only available in a task`,
            path,
            hint: 'use it in a task prompt',
          })
        }
      } else if (root === 'item' || root === 'index') {
        if (!mapped) {
          add({
            level: 'error',
            code: 'template_item_outside_map',
            message: `'${ref.source}' is only available in the prompt, input and options of a task with \`map:\``,
            path,
            hint:
              taskId === undefined
                ? "read the mapped task's output instead (`${{ tasks.<id>.output }}`: the array of its items' outputs)"
                : `add \`map: { over: "\${{ tasks.<id>.output.<list> }}" }\` to task '${taskId}'`,
          })
        }
      } else if (root === 'output' && !compensation) {
        add({
          level: 'error',
          code: 'template_output_outside_compensate',
          message: `'${ref.source}' is only available in a task's \`compensate:\` (the task's own output)`,
          path,
          hint: "read a task's output as 'tasks.<id>.output'",
        })
      } else if (root !== 'run' && root !== 'memory' && root !== 'output') {
        add({
          level: 'error',
          code: 'template_unknown_root',
          message: `template reads '${ref.source}'; templates can read 'inputs', 'tasks', 'run', 'memory' and 'context'`,
          path,
          hint: rootHint(ref.segments, declaredInputs, rawTasks ?? {}),
        })
      }
    }
  }
}

const TASK_FIELDS = ['output', 'text', 'status']
const ROOTS = ['inputs', 'tasks', 'run', 'memory', 'context']

/**
 * The fix for an unknown root: a misspelt root keeps the rest of the path (`input.repo` →
 * `inputs.repo`, `task.a.output` → `tasks.a.output`); a bare input or task name gets its root.
 */
function rootHint(
  segments: readonly (string | number)[],
  declaredInputs: Record<string, unknown>,
  tasks: Record<string, unknown>,
): string {
  const [root, ...rest] = segments
  const tail = rest.map((s) => (typeof s === 'number' ? `[${s}]` : `.${s}`)).join('')
  const name = String(root)
  const guess = closest(name, ROOTS)
  if (guess) return `did you mean '${guess}${tail}'?`
  if (Object.hasOwn(declaredInputs, name)) return `did you mean 'inputs.${name}${tail}'?`
  if (Object.hasOwn(tasks, name)) return `did you mean 'tasks.${name}${tail || '.output'}'?`
  return "start the path with 'inputs.<name>' or 'tasks.<id>.output'"
}
