import { readFile, stat } from 'node:fs/promises'
import { extname } from 'node:path'
import type { Diagnostic } from '@weft/spec'
import { Composer, type Document, LineCounter, Parser, YAMLParseError } from 'yaml'
import { resolveLimits, type WorkflowLimits } from './limits.js'
import { measureTokens, scanFlowDepth } from './yaml-depth.js'

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

export interface ParseWorkflowOptions {
  /** Stricter (or looser) limits than `WORKFLOW_LIMITS`; `maxDocumentBytes` and `maxDepth` apply here. */
  limits?: Partial<WorkflowLimits>
}

/**
 * Parses YAML or JSON text (JSON is parsed as YAML 1.2, which also catches duplicate keys that
 * `JSON.parse` would silently drop), keeping positions so diagnostics can point at lines.
 *
 * The text is read in two steps so that no document can exhaust the stack: the YAML parser (which
 * builds a concrete syntax tree without recursion) runs first, the nesting of that tree is
 * measured with an explicit stack, and only a document within `maxDepth` is composed into values
 * (which recurses once per level). A key named `__proto__` stays an ordinary own key.
 */
export function parseWorkflowText(
  text: string,
  file?: string,
  options: ParseWorkflowOptions = {},
): LoadedDocument {
  const limits = resolveLimits(options.limits)
  const lineCounter = new LineCounter()
  const diagnostics: Diagnostic[] = []
  const none: LoadedDocument = { file, value: undefined, locate: () => undefined, diagnostics }
  if (typeof text !== 'string') {
    diagnostics.push({
      level: 'error',
      code: 'not_text',
      message: `a workflow text must be a string, got ${text === null ? 'null' : typeof text}`,
      ...(file ? { file } : {}),
      hint: 'pass the YAML or JSON text of the workflow',
    })
    return none
  }
  const bytes = Buffer.byteLength(text, 'utf8')
  if (bytes > limits.maxDocumentBytes) {
    diagnostics.push({
      level: 'error',
      code: 'document_too_large',
      message: `the workflow is ${bytes} bytes, more than the limit of ${limits.maxDocumentBytes}`,
      ...(file ? { file } : {}),
      hint: 'split it into smaller workflows, or raise `maxDocumentBytes` where the limit is configured',
    })
    return none
  }
  const deepAt = scanFlowDepth(text, limits.maxDepth)
  const tokens = deepAt === undefined ? Array.from(new Parser(lineCounter.addNewLine).parse(text)) : []
  const shape =
    deepAt === undefined ? measureTokens(tokens, limits.maxDepth) : { problem: 'depth', offset: deepAt }
  if (shape) {
    const pos = deepAt === undefined ? lineCounter.linePos(shape.offset) : linePosIn(text, deepAt)
    diagnostics.push({
      level: 'error',
      code: shape.problem === 'depth' ? 'too_deep' : 'complex_key',
      message:
        shape.problem === 'depth'
          ? `the document nests deeper than ${limits.maxDepth} levels of mappings and sequences`
          : 'a mapping key is itself a mapping or a sequence',
      ...(file ? { file } : {}),
      line: pos.line,
      column: pos.col,
      hint:
        shape.problem === 'depth'
          ? 'flatten the value (a workflow needs a few levels; deeper data belongs in a file the task reads), or close a `{` or `[` left open above this line'
          : 'keys are names: write a plain string key',
    })
    return none
  }
  // logLevel 'error': warnings become diagnostics below instead of text on the process's stderr.
  const composer = new Composer({ uniqueKeys: true, logLevel: 'error' })
  let doc: Document.Parsed | undefined
  for (const d of composer.compose(tokens, true, text.length)) {
    if (!doc) doc = d
    else {
      doc.errors.push(
        new YAMLParseError(
          [d.range[0], d.range[1]],
          'MULTIPLE_DOCS',
          'the text holds more than one YAML document',
        ),
      )
      break
    }
  }
  const parsed = doc!
  // One syntax slip (a wrong indent, a stray `}`) makes the parser misread every line after it:
  // report the first and stop, since the rest are echoes of it. Duplicate keys stand on their own.
  const syntax = parsed.errors.find((e) => e.code !== 'DUPLICATE_KEY')
  for (const err of syntax ? [syntax] : parsed.errors) {
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
        : parsed.errors.length > 1
          ? 'fix the syntax at this line (check indentation and quotes); the lines after it were not checked'
          : 'fix the syntax at this line (check indentation and quotes)',
    })
  }
  for (const w of parsed.warnings) {
    const pos = lineCounter.linePos(w.pos[0])
    diagnostics.push({
      level: 'warning',
      code: 'yaml_warning',
      message: w.message.split('\n')[0]!,
      ...(file ? { file } : {}),
      line: pos.line,
      column: pos.col,
    })
  }
  const locate: Locator = (path) => {
    for (let n = path.length; n >= 0; n--) {
      const node = parsed.getIn(path.slice(0, n), true) as { range?: [number, number, number] } | undefined
      const pair = n > 0 ? findKeyNode(parsed, path.slice(0, n)) : undefined
      const range = pair?.range ?? node?.range
      if (range) {
        const pos = lineCounter.linePos(range[0])
        return { line: pos.line, column: pos.col }
      }
    }
    return undefined
  }
  let value: unknown
  if (!diagnostics.some((d) => d.level === 'error')) {
    try {
      value = parsed.toJS({ maxAliasCount: 100 })
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

/** Line and column of an offset, for a text that was not given to the parser. */
function linePosIn(text: string, offset: number): { line: number; col: number } {
  let line = 1
  let start = 0
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++
    start = i + 1
  }
  return { line, col: offset - start + 1 }
}

/** The key node of the last path segment, so a position points at `needs:` rather than its value. */
function findKeyNode(doc: Document.Parsed, path: DocPath): { range?: [number, number, number] } | undefined {
  const parent = doc.getIn(path.slice(0, -1), true) as
    | { items?: { key?: { value?: unknown; range?: [number, number, number] } }[] }
    | undefined
  const last = path[path.length - 1]
  const item = parent?.items?.find((i) => i.key?.value === last)
  return item?.key
}

const SUPPORTED = new Set(['.yaml', '.yml', '.json'])

export async function loadWorkflowFile(
  file: string,
  options: ParseWorkflowOptions = {},
): Promise<LoadedDocument> {
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
    // A file over the size limit is refused before it is read into memory.
    const { size } = await stat(file)
    const max = resolveLimits(options.limits).maxDocumentBytes
    if (size > max) {
      none.diagnostics.push({
        level: 'error',
        code: 'document_too_large',
        message: `'${file}' is ${size} bytes, more than the limit of ${max}`,
        file,
        hint: 'split it into smaller workflows, or raise `maxDocumentBytes` where the limit is configured',
      })
      return none
    }
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
  return parseWorkflowText(text, file, options)
}
