import type { CST } from 'yaml'

/**
 * Where flow collections (`[`, `{`) nest deeper than `maxDepth`, found by one pass over the text.
 *
 * The YAML parser takes seconds on a few hundred kilobytes of `[[[[…`, so this cheap scan runs
 * first and refuses such a text at once; `measureTokens` below is the exact check on what passes.
 * It only counts what is surely structure: any bracket inside a flow collection (plain scalars
 * there cannot hold one), and in block context a bracket or quote where a value starts (after
 * `key: `, `- `, `? ` or at the start of a line). Quoted strings, comments and block scalars
 * (`|`, `>`) are skipped. Whatever it misses, the exact check still sees.
 */
export function scanFlowDepth(text: string, maxDepth: number): number | undefined {
  let depth = 0
  let prev = '\n' // the last character that is not a space, '\n' at the start of a line
  let spaced = false // a space since `prev`
  let lineIndent = 0
  let atLineStart = true
  let blockParent = -1 // inside a block scalar: its parent line's indent
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!
    if (c === '\n') {
      prev = '\n'
      spaced = false
      atLineStart = true
      lineIndent = 0
      continue
    }
    if (atLineStart) {
      if (c === ' ') {
        lineIndent++
        continue
      }
      atLineStart = false
      if (blockParent >= 0) {
        if (lineIndent > blockParent || c === '\r') {
          i = skipLine(text, i)
          continue
        }
        blockParent = -1
      }
    }
    if (c === ' ' || c === '\t' || c === '\r') {
      spaced = true
      continue
    }
    const valueStart = depth > 0 ? '\n[{,:'.includes(prev) : prev === '\n' || (':-?'.includes(prev) && spaced)
    if (c === '#' && (spaced || prev === '\n')) {
      i = skipLine(text, i)
      continue
    }
    if ((c === '"' || c === "'") && valueStart) {
      i = skipQuoted(text, i, c)
    } else if ((c === '[' || c === '{') && (depth > 0 || valueStart)) {
      depth++
      if (depth > maxDepth) return i
    } else if ((c === ']' || c === '}') && depth > 0) {
      depth--
    } else if ((c === '|' || c === '>') && depth === 0 && valueStart) {
      blockParent = lineIndent
    }
    prev = c
    spaced = false
  }
  return undefined
}

/** The index of the line's last character (the loop then reads the newline). */
function skipLine(text: string, i: number): number {
  const end = text.indexOf('\n', i)
  return (end === -1 ? text.length : end) - 1
}

/** The index of the closing quote (or the end): `\` escapes in "…", `''` in '…'. */
function skipQuoted(text: string, i: number, quote: string): number {
  for (let j = i + 1; j < text.length; j++) {
    const c = text[j]
    if (quote === '"' && c === '\\') j++
    else if (c === quote) {
      if (quote === "'" && text[j + 1] === "'") j++
      else return j
    }
  }
  return text.length
}

/**
 * The first collection nested deeper than `maxDepth`, or the first key that is a collection (it
 * would become a `[object Object]`-like string key), walking the syntax tree with its own stack.
 */
export function measureTokens(
  tokens: readonly CST.Token[],
  maxDepth: number,
): { problem: 'depth' | 'key'; offset: number } | undefined {
  const todo: [CST.Token, number][] = tokens.map((t) => [t, 0])
  const isCollection = (t: CST.Token | null | undefined) =>
    t?.type === 'block-map' || t?.type === 'block-seq' || t?.type === 'flow-collection'
  while (todo.length) {
    const [token, depth] = todo.pop()!
    if (token.type === 'document') {
      if (token.value) todo.push([token.value, depth])
      continue
    }
    if (token.type !== 'block-map' && token.type !== 'block-seq' && token.type !== 'flow-collection') continue
    const inner = depth + 1
    if (inner > maxDepth) return { problem: 'depth', offset: token.offset }
    for (const item of token.items as CST.CollectionItem[]) {
      if (isCollection(item.key)) return { problem: 'key', offset: item.key!.offset }
      if (item.key) todo.push([item.key, inner])
      if (item.value) todo.push([item.value, inner])
    }
  }
  return undefined
}
