import type { InputSpec, Json } from '@weft/spec'
import { brief, closest, listNames } from './suggest.js'

interface InputProblem {
  level: 'error' | 'warning'
  code: string
  message: string
  path: (string | number)[]
  hint?: string
}

/**
 * Applies defaults and coerces given values to their declared types. Values from a command line
 * arrive as strings (`--input n=5`); a string is parsed as JSON where the type is not `string`.
 */
export function coerceInputs(
  declared: Record<string, InputSpec>,
  given: Record<string, Json>,
): { values: Record<string, Json>; problems: InputProblem[] } {
  const values: Record<string, Json> = {}
  const problems: InputProblem[] = []
  for (const [name, spec] of Object.entries(declared)) {
    const path = ['inputs', name]
    if (!Object.hasOwn(given, name)) {
      if (spec.default !== undefined) values[name] = spec.default
      else if (spec.required !== false) {
        problems.push({
          level: 'error',
          code: 'missing_input',
          message: `input '${name}' is required`,
          path,
          hint: `pass it with \`--input ${name}=<value>\` or give it a \`default:\``,
        })
      }
      continue
    }
    const value = coerce(given[name]!, spec.type)
    if (value === undefined) {
      problems.push({
        level: 'error',
        code: 'bad_input',
        message: `input '${name}' must be of type ${spec.type}, got ${excerpt(given[name]!)}`,
        path,
        hint:
          spec.type === 'object' || spec.type === 'array' || spec.type === 'json'
            ? 'pass JSON, e.g. --input x=\'{"a":1}\''
            : `pass a ${spec.type}`,
      })
    } else values[name] = value
  }
  // A value the workflow does not declare is almost always a misspelt name: running without it
  // would quietly use the default instead of what the caller meant.
  const names = Object.keys(declared)
  for (const name of Object.keys(given)) {
    if (!Object.hasOwn(declared, name)) {
      const guess = closest(
        name,
        names.filter((n) => !Object.hasOwn(given, n)),
      )
      problems.push({
        level: 'error',
        code: 'unknown_input',
        message: `input '${brief(name)}' is not declared by the workflow`,
        path: ['inputs'],
        hint: guess
          ? `did you mean '${guess}'?`
          : names.length
            ? `the workflow's inputs: ${listNames(names)}`
            : 'the workflow declares no inputs: drop it, or declare it under `inputs:`',
      })
    }
  }
  return { values, problems }
}

/** Declared defaults that do not fit their declared type (`type: integer, default: three`). */
export function checkDefaults(declared: Record<string, InputSpec>): InputProblem[] {
  const problems: InputProblem[] = []
  for (const [name, spec] of Object.entries(declared)) {
    if (spec.default === undefined || coerce(spec.default, spec.type) !== undefined) continue
    problems.push({
      level: 'error',
      code: 'bad_default',
      message: `input '${name}' is of type ${spec.type}, but its default is ${excerpt(spec.default)}`,
      path: ['inputs', name, 'default'],
      hint: `give a default of type ${spec.type}, or change \`type:\``,
    })
  }
  return problems
}

function coerce(value: Json, type: InputSpec['type']): Json | undefined {
  const parsed = typeof value === 'string' && type !== 'string' ? tryJson(value) : value
  switch (type) {
    case 'string':
      return typeof value === 'string'
        ? value
        : typeof value === 'number' || typeof value === 'boolean'
          ? String(value)
          : undefined
    case 'number':
      return typeof parsed === 'number' && Number.isFinite(parsed) ? parsed : undefined
    case 'integer':
      return typeof parsed === 'number' && Number.isInteger(parsed) ? parsed : undefined
    case 'boolean':
      return typeof parsed === 'boolean' ? parsed : undefined
    case 'object':
      return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? parsed : undefined
    case 'array':
      return Array.isArray(parsed) ? parsed : undefined
    case 'json':
      return parsed === undefined ? value : parsed
  }
}

/** A value as a message quotes it: at most 80 characters. */
function excerpt(value: Json): string {
  const text = JSON.stringify(value) ?? String(value)
  return text.length > 80 ? `${text.slice(0, 77)}...` : text
}

function tryJson(text: string): Json | undefined {
  try {
    return JSON.parse(text) as Json
  } catch {
    return undefined
  }
}
