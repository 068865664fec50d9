/**
 * A plain text table. Widths are measured on the plain cell text; `style` colours a cell after
 * padding, so escape codes never throw the columns off.
 */
export function renderTable(
  headers: string[],
  rows: string[][],
  style: (column: number, cell: string, row: number) => string = (_c, s) => s,
  headerStyle: (s: string) => string = (s) => s,
): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const last = headers.length - 1
  const line = (cells: string[], paint: (column: number, padded: string) => string) =>
    cells
      .map((cell, i) => paint(i, i === last ? cell : cell.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd()
  const body = rows.map((r, rowIndex) => line(r, (i, s) => style(i, s, rowIndex)))
  return [line(headers, (_i, s) => headerStyle(s)), ...body].join('\n')
}
