import {
  ApprovalSpecSchema,
  BudgetSpecSchema,
  InputSpecSchema,
  RETRY_ON_CODES,
  RetryPolicySchema,
  TaskContextSpecSchema,
  TaskSpecSchema,
  WorkflowDefaultsSchema,
  WorkflowSpecSchema,
} from '@weft/spec'
import type { z } from 'zod'
import type { AddDiagnostic } from './check-templates.js'
import { formatPath } from './format.js'
import type { DocPath } from './load.js'
import { closest } from './suggest.js'

/** Schema issues as diagnostics: unknown keys with "did you mean", missing fields, bad values. */

const KNOWN_KEYS: [(p: DocPath) => boolean, string[]][] = [
  [(p) => p.length === 0, Object.keys(WorkflowSpecSchema.shape)],
  [(p) => p.length === 2 && p[0] === 'tasks', Object.keys(TaskSpecSchema.shape)],
  [(p) => p.length === 1 && p[0] === 'defaults', Object.keys(WorkflowDefaultsSchema.shape)],
  [(p) => p.length === 2 && p[0] === 'inputs', Object.keys(InputSpecSchema.shape)],
  [(p) => p[p.length - 1] === 'retry', Object.keys(RetryPolicySchema.shape)],
  [(p) => p.length === 1 && p[0] === 'budget', Object.keys(BudgetSpecSchema.shape)],
  [(p) => p[p.length - 1] === 'approval', Object.keys(ApprovalSpecSchema.shape)],
  [(p) => p[p.length - 1] === 'context', Object.keys(TaskContextSpecSchema.shape)],
]

export function schemaIssue(issue: z.core.$ZodIssue, add: AddDiagnostic, raw: unknown) {
  const path = issue.path as DocPath
  const where = path.length ? formatPath(path) : 'the workflow'
  if (issue.code === 'unrecognized_keys') {
    const known = KNOWN_KEYS.find(([m]) => m(path))?.[1] ?? []
    // `__proto__` is reported once, as a reserved key (see checkSize).
    for (const key of issue.keys.filter((k) => k !== '__proto__')) {
      const guess = closest(key, known)
      add({
        level: 'error',
        code: 'unknown_key',
        message: `${where} has an unknown key '${key}'`,
        path: [...path, key],
        hint: guess
          ? `did you mean '${guess}'?`
          : known.length
            ? `allowed keys: ${known.join(', ')}`
            : 'remove it',
      })
    }
    return
  }
  if (path.length === 1 && path[0] === 'weft') {
    add({
      level: 'error',
      code: 'bad_version',
      message: 'the workflow must start with `weft: 1`',
      path,
      hint: 'add `weft: 1` at the top of the file',
    })
    return
  }
  // Zod leaves the input out of its issues, so look at the document: absent means required, and a
  // value of the wrong type is named with what it is (`priority: "high"` is not "required").
  const value = valueAt(raw, path)
  const { missing, message } = issueMessage(issue, value, where)
  add({
    level: 'error',
    code: missing ? 'missing_field' : 'bad_value',
    message,
    path,
    hint: hintFor(issue, path, value),
  })
}

/** The message of one issue about `value` (undefined when absent) at `where`. */
export function issueMessage(
  issue: z.core.$ZodIssue,
  value: unknown,
  where: string,
): { missing: boolean; message: string } {
  const missing = issue.code === 'invalid_type' && value === undefined
  if (missing) return { missing, message: `${where} is required` }
  if (issue.code !== 'invalid_type' && issue.code !== 'invalid_union')
    return { missing, message: `${where}: ${issue.message}` }
  // A custom message (a backend's schema explaining its option) says more than the type does.
  if (issue.code === 'invalid_type' && !issue.message.startsWith('Invalid input'))
    return { missing, message: `${where}: ${issue.message}` }
  const expected = issue.code === 'invalid_type' ? (EXPECTED[issue.expected] ?? issue.expected) : undefined
  return {
    missing,
    message: `${where} ${expected ? `must be ${expected}` : 'has the wrong type'}, got ${describe(value)}`,
  }
}

const EXPECTED: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'true or false',
  object: 'a mapping',
  record: 'a mapping',
  array: 'a list',
}

/** A value as a message names it: its kind, and short values themselves. */
function describe(value: unknown): string {
  if (value === null) return 'nothing (an empty value)'
  if (Array.isArray(value)) return 'a list'
  if (typeof value === 'object') return 'a mapping'
  const text = JSON.stringify(value) ?? String(value)
  const shown = text.length > 40 ? `${text.slice(0, 37)}...` : text
  return `${typeof value === 'string' ? 'the string' : `the ${typeof value}`} ${shown}`
}

/** The value at a path, through own properties only. */
export function valueAt(value: unknown, path: DocPath): unknown {
  for (const seg of path) {
    if (value === null || typeof value !== 'object' || !Object.hasOwn(value, seg)) return undefined
    value = (value as Record<string | number, unknown>)[seg]
  }
  return value
}

function hintFor(issue: z.core.$ZodIssue, path: DocPath, value: unknown): string | undefined {
  const last = path[path.length - 1]
  if (path[path.length - 3] === 'retry' && path[path.length - 2] === 'on') {
    const guess = typeof value === 'string' ? closest(value, RETRY_ON_CODES) : undefined
    return `${guess ? `did you mean '${guess}'? ` : ''}retry.on lists error codes (${RETRY_ON_CODES.join(', ')}) or exit codes from 1 to 255`
  }
  if (last === 'priority') return 'priority is an integer from 0 (highest) to 100 (lowest); the default is 50'
  if (last === 'needs') return 'needs is a task id or a list of task ids'
  if (last === 'name') return 'give the workflow a `name:`'
  if (last === 'tasks') return 'add a `tasks:` mapping of task ids to tasks'
  if (typeof last === 'string' && /Ms$/.test(last)) return `${last} is a whole number of milliseconds`
  if (issue.code === 'invalid_value' && 'values' in issue)
    return `use one of: ${(issue.values as unknown[]).join(', ')}`
  return undefined
}
