import type { Diagnostic } from '@weft/spec'
import type { DocPath } from './load.js'

/** `file:line:col  error  message [code]` then the path and the fix, as a person reads it. */
export function formatDiagnostic(d: Diagnostic): string {
  const where = d.file ? `${d.file}${d.line ? `:${d.line}${d.column ? `:${d.column}` : ''}` : ''}` : ''
  const lines = [`${where ? `${where}  ` : ''}${d.level}  ${d.message} [${d.code}]`]
  if (d.path) lines.push(`    at ${d.path}`)
  if (d.hint) lines.push(`    fix: ${d.hint}`)
  return lines.join('\n')
}

/** `tasks.build.with.command[0]`: a path inside a workflow as diagnostics name it. */
export function formatPath(path: DocPath): string {
  return path.map((s, i) => (typeof s === 'number' ? `[${s}]` : i === 0 ? s : `.${s}`)).join('')
}
