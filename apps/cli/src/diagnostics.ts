import { type Diagnostic, formatDiagnostic } from '@weft/core'
import type { Colors } from './colors.js'

/** Every diagnostic (file:line:col, message, path, fix), errors first, then a count line. */
export function formatDiagnostics(diagnostics: Diagnostic[], c: Colors): string {
  const rank = { error: 0, warning: 1, info: 2 } as const
  const sorted = [...diagnostics].sort(
    (a, b) => rank[a.level] - rank[b.level] || (a.line ?? 0) - (b.line ?? 0),
  )
  return sorted
    .map((d) => {
      const [first = '', ...rest] = formatDiagnostic(d).split('\n')
      const paint = d.level === 'error' ? c.red : d.level === 'warning' ? c.yellow : c.dim
      return [paint(first), ...rest.map((l) => c.dim(l))].join('\n')
    })
    .join('\n')
}

export function countLine(diagnostics: Diagnostic[]): string {
  const errors = diagnostics.filter((d) => d.level === 'error').length
  const warnings = diagnostics.filter((d) => d.level === 'warning').length
  const parts = [`${errors} error${errors === 1 ? '' : 's'}`]
  if (warnings) parts.push(`${warnings} warning${warnings === 1 ? '' : 's'}`)
  return parts.join(', ')
}
