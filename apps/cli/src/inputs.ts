import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { type Json, WeftError } from '@weft/core'

/**
 * `--input k=v` pairs into run inputs. Values stay strings: the workflow declares each input's
 * type and core coerces (`--input n=3` becomes the number 3 where `n` is a number), so the CLI
 * never guesses. `k=@path` reads the value from a file; `k=@@x` is the literal `@x`.
 */
export function parseInputPairs(pairs: string[], cwd: string): Record<string, Json> {
  const inputs: Record<string, Json> = {}
  for (const pair of pairs) {
    const eq = pair.indexOf('=')
    const key = eq > 0 ? pair.slice(0, eq).trim() : ''
    if (!key) {
      throw new WeftError('input_invalid', `--input '${pair}' is not key=value`, {
        hint: 'write --input name=value (or --input name=@file to read the value from a file)',
      })
    }
    inputs[key] = readValue(pair.slice(eq + 1), cwd, `--input ${key}`)
  }
  return inputs
}

/**
 * The `--input JSON` of `runs resume`: a JSON value (the approval's answer), or `@path` to read
 * the JSON from a file.
 */
export function parseJsonInput(text: string, cwd: string): Json {
  const raw = readValue(text, cwd, '--input')
  try {
    return JSON.parse(raw) as Json
  } catch (err) {
    throw new WeftError('input_invalid', `--input is not JSON: ${(err as Error).message}`, {
      hint: `quote it for the shell, e.g. --input '{"approved":true,"note":"ok"}' or --input '"a string"'`,
    })
  }
}

function readValue(value: string, cwd: string, what: string): string {
  if (value.startsWith('@@')) return value.slice(1)
  if (!value.startsWith('@')) return value
  const file = resolve(cwd, value.slice(1))
  try {
    return readFileSync(file, 'utf8')
  } catch (err) {
    throw new WeftError(
      'input_invalid',
      `${what}: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      {
        hint: 'check the path after @ (it is relative to the current directory)',
      },
    )
  }
}
