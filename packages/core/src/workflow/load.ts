import { readFile } from 'node:fs/promises'
import { extname } from 'node:path'
import { LineCounter, parseDocument } from 'yaml'
import type { Diagnostic } from '@weft/spec'

export type DocPath = (string | number)[]

/** Finds the line and column of a path inside the document a workflow came from. */
export type Locator = (path: DocPath) => { line: number; column: number } | undefined

export interface LoadedDocument {
  file?: string
  /** The parsed value (undefined when the text could not be parsed at all). */
  value: unknown
  locate: Locator
  diagnostics: Diagnostic[]
}

/**
 * Parses YAML or JSON text (JSON is parsed as YAML 1.2, which also catches duplicate keys that
 * `JSON.parse` would silently drop), keeping positions so diagnostics can point at lines.
 */
export function parseWorkflowText(text: string, file?: string): LoadedDocument {
  const lineCounter = new LineCounter()
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false })
  const diagnostics: Diagnostic[] = []
  for (const err of doc.errors) {
    const pos = err.linePos?.[0] ?? lineCounter.linePos(err.pos[0])
    const duplicate = err.code === 'DUPLICATE_KEY'
    diagnostics.push({
      level: 'error',
      code: duplicate ? 'duplicate_key' : 'parse_error',
      message: duplicate ? `${err.message.split('\n')[0]}` : `cannot parse: ${err.message.split('\n')[0]}`,
      file,
      line: pos?.line,
      column: pos?.col,
      hint: duplicate
        ? 'each task id (and every other key) may appear once; rename or merge the duplicates'
        : 'fix the syntax at this line (check indentation and quotes)',
    })
  }
  const locate: Locator = (path) => {
    for (let n = path.length; n >= 0; n--) {
      const node = doc.getIn(path.slice(0, n), true) as { range?: [number, number, number] } | undefined
      const pair = n > 0 ? findKeyNode(doc, path.slice(0, n)) : undefined
      const range = pair?.range ?? node?.range
      if (range) {
        const pos = lineCounter.linePos(range[0])
        return { line: pos.line, column: pos.col }
      }
    }
    return undefined
  }
  let value: unknown
  if (diagnostics.length === 0) {
    try {
      value = doc.toJS({ maxAliasCount: 100 })
    } catch (err) {
      diagnostics.push({
        level: 'error',
        code: 'parse_error',
        message: `cannot read the document: ${(err as Error).message}`,
        file,
      })
    }
  }
  return { file, value, locate, diagnostics }
}

/** The key node of the last path segment, so a position points at `needs:` rather than its value. */
function findKeyNode(
  doc: ReturnType<typeof parseDocument>,
  path: DocPath,
): { range?: [number, number, number] } | undefined {
  const parent = doc.getIn(path.slice(0, -1), true) as
    | { items?: { key?: { value?: unknown; range?: [number, number, number] } }[] }
    | undefined
  const last = path[path.length - 1]
  const item = parent?.items?.find((i) => i.key?.value === last)
  return item?.key
}

const SUPPORTED = new Set(['.yaml', '.yml', '.json'])

export async function loadWorkflowFile(file: string): Promise<LoadedDocument> {
  const ext = extname(file).toLowerCase()
  const none: LoadedDocument = { file, value: undefined, locate: () => undefined, diagnostics: [] }
  if (!SUPPORTED.has(ext)) {
    none.diagnostics.push({
      level: 'error',
      code: 'file_type',
      message: `'${file}' is not a workflow file: expected .yaml, .yml or .json`,
      file,
      hint: 'rename the file or pass a .yaml/.json workflow',
    })
    return none
  }
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    none.diagnostics.push({
      level: 'error',
      code: 'file_not_found',
      message:
        code === 'ENOENT'
          ? `workflow file '${file}' does not exist`
          : `cannot read '${file}': ${(err as Error).message}`,
      file,
      hint: code === 'ENOENT' ? 'check the path (it is resolved from the current directory)' : undefined,
    })
    return none
  }
  return parseWorkflowText(text, file)
}
