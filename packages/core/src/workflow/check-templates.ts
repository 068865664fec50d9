import type { Diagnostic } from '@weft/spec'
import { type Expression, expressionPaths } from '../template/expression.js'
import { parseTemplate, TemplateError } from '../template/template.js'
import type { WorkflowLimits } from './limits.js'
import type { DocPath } from './load.js'
import { listNames } from './suggest.js'

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
  return (text: string, path: DocPath, allowed: { has(id: string): boolean } | 'all', taskId?: string) => {
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
        } else if (field !== undefined && !['output', 'text', 'status'].includes(String(field))) {
          add({
            level: 'error',
            code: 'template_unknown_field',
            message: `template reads '${ref.source}'; a task has 'output', 'text' and 'status', not '${String(field)}'`,
            path,
            hint: `write 'tasks.${name}.output.${String(field)}' to read a member of its output`,
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
      } else if (root !== 'run' && root !== 'memory') {
        add({
          level: 'error',
          code: 'template_unknown_root',
          message: `template reads '${ref.source}'; templates can read 'inputs', 'tasks', 'run', 'memory' and 'context'`,
          path,
          hint: `did you mean 'inputs.${String(root)}'?`,
        })
      }
    }
  }
}
