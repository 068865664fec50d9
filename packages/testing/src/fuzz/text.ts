/**
 * What only text can hold: YAML anchors, tags, merge keys and multiple documents, YAML nested
 * thousands of levels in flow and block style, and text cut or spliced at a random point. Apart
 * from the shapes because none of it can be written as an object first and rendered afterwards.
 */
import fc from 'fast-check'
import { nesting } from './values.js'

/** Text that only YAML (or a corrupted file) produces. */
export const YAML_SNIPPETS = [
  'a: &a [1, 2]\nb: [*a, *a, *a, *a, *a, *a]\nc: [*b, *b, *b, *b, *b]\n',
  'x: &x { y: *x }\n',
  '<<: { weft: 1 }\n',
  'weft: !!js/function "function () {}"\n',
  'weft: !!binary aGVsbG8=\n',
  'tasks: !!set { a, b }\n',
  'tasks: !!omap [ a: 1 ]\n',
  'tasks:\n  ? [a, b]\n  : { backend: mock }\n',
  '%YAML 1.1\n---\nweft: 1\n',
  'weft: 1\n---\nweft: 2\n',
  '\ttasks:\n\t\ta: {}\n',
  '\ufeffweft: 1\n',
  'tasks: { a: { needs: *undefined_alias } }\n',
  'name: "unterminated\n',
  '{ weft: 1, tasks: { a: { when: "${{ !x }}" } }',
  '\u0000\u0001\u0002',
]

export const deepYaml = fc
  .tuple(nesting, fc.constantFrom('flow-seq', 'flow-map', 'block-seq', 'block-map'))
  .map(([n, kind]) => {
    if (kind === 'flow-seq') return `weft: 1\ntasks: { a: { input: ${'['.repeat(n)}${']'.repeat(n)} } }\n`
    if (kind === 'flow-map') return `weft: 1\ntasks: { a: { input: ${'{a: '.repeat(n)}1${'}'.repeat(n)} } }\n`
    if (kind === 'block-seq') return `weft: 1\ntasks:\n  a:\n    input:\n      ${'- '.repeat(n)}x\n`
    // Each level needs one more space: bounded so the text stays a few megabytes at most.
    const levels = Math.min(n, 1500)
    const lines = ['weft: 1', 'tasks:', '  a:', '    input:']
    for (let i = 0; i < levels; i++) lines.push(`${' '.repeat(6 + i)}k:`)
    return `${lines.join('\n')}\n`
  })

/** Corrupts text: cut it, or splice a snippet in at some point. */
export const corrupt = (text: fc.Arbitrary<string>, snippets: readonly string[]) =>
  fc
    .tuple(text, fc.double({ min: 0, max: 1, noNaN: true }), fc.constantFrom(...snippets), fc.boolean())
    .map(([t, at, snippet, cut]) => {
      const i = Math.floor(at * t.length)
      return cut ? t.slice(0, i) : t.slice(0, i) + snippet + t.slice(i)
    })
