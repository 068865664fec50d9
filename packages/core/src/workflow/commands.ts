/**
 * "A whole command from an input is a validation error unless the workflow opts in."
 *
 * A backend names the fields of its `with` that hold a command (`Backend.commandFields`, e.g. the
 * shell backend's `['command']`); core knows nothing about any one backend. In such a field these
 * let whoever starts the run choose what runs, and are reported:
 *   - the whole field is a string with a template that reads `inputs` (`command: "${{ inputs.cmd }}"`,
 *     which renders to the input's array or string);
 *   - the program, element 0 of an argument array, reads `inputs` (`["${{ inputs.tool }}", "-v"]`);
 *   - the script of a shell's `-c` (`["sh", "-c", "${{ inputs.script }}"]`, also `bash -lc`, `cmd /c`,
 *     `pwsh -Command`): inside a script, text is code.
 * An input passed as an ordinary argument (`["grep", "${{ inputs.pattern }}", "file"]`, or
 * `["sh", "-c", "echo \"$1\"", "sh", "${{ inputs.x }}"]`) is data, not a command, and is allowed.
 * Templates that read task outputs are not judged here.
 */
import { expressionPaths } from '../template/expression.js'
import { parseTemplate } from '../template/template.js'
import type { DocPath } from './load.js'

export interface InputCommand {
  /** Path inside `with`. */
  path: DocPath
  /** The input references found there, e.g. `inputs.cmd`. */
  refs: string[]
  what: 'command' | 'program' | 'script'
}

const SHELLS = new Set([
  'sh',
  'bash',
  'zsh',
  'dash',
  'ksh',
  'ash',
  'fish',
  'busybox',
  'cmd',
  'powershell',
  'pwsh',
])

/** `inputs.x` references in a string's templates (none when it does not parse: that is reported elsewhere). */
function inputRefs(text: unknown): string[] {
  if (typeof text !== 'string' || !text.includes('${{')) return []
  try {
    return parseTemplate(text)
      .flatMap((p) => (typeof p === 'string' ? [] : expressionPaths(p.expr)))
      .filter((ref) => ref.segments[0] === 'inputs')
      .map((ref) => ref.source)
  } catch {
    return []
  }
}

function programName(arg: unknown): string | undefined {
  if (typeof arg !== 'string') return undefined
  const base = arg.split(/[\\/]/).pop()!.toLowerCase()
  return base.replace(/\.exe$/, '')
}

/** Whether an argument is the flag after which a shell reads its script. */
function isScriptFlag(shell: string, arg: unknown): boolean {
  if (typeof arg !== 'string') return false
  if (shell === 'cmd') return /^\/c$/i.test(arg) || /^\/k$/i.test(arg)
  if (shell === 'powershell' || shell === 'pwsh') return /^-(c|command|encodedcommand|e|ec)$/i.test(arg)
  // POSIX shells accept `-c` inside a group of short options: `-lc`, `-ec`, `-xec`.
  return /^-[a-zA-Z]*c[a-zA-Z]*$/.test(arg)
}

export function findInputCommands(withValue: unknown, commandFields: readonly string[]): InputCommand[] {
  if (withValue === null || typeof withValue !== 'object' || Array.isArray(withValue)) return []
  const out: InputCommand[] = []
  for (const field of commandFields) {
    if (!Object.hasOwn(withValue, field)) continue
    const value = (withValue as Record<string, unknown>)[field]
    if (typeof value === 'string') {
      const refs = inputRefs(value)
      if (refs.length) out.push({ path: [field], refs, what: 'command' })
      continue
    }
    if (!Array.isArray(value) || value.length === 0) continue
    const program = inputRefs(value[0])
    if (program.length) {
      out.push({ path: [field, 0], refs: program, what: 'program' })
      continue
    }
    const shell = programName(value[0])
    if (!shell || !SHELLS.has(shell)) continue
    for (let i = 1; i < value.length - 1; i++) {
      if (!isScriptFlag(shell, value[i])) continue
      const refs = inputRefs(value[i + 1])
      if (refs.length) out.push({ path: [field, i + 1], refs, what: 'script' })
      break
    }
  }
  return out
}
