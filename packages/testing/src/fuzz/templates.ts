/**
 * Generated `${{ ... }}` templates: known expressions (upstream reads, prototype names, syntax
 * errors), expressions nested or chained thousands of times, and token soup. Templates are
 * where a workflow's text reaches the expression parser, so they get an arbitrary of their own.
 */
import fc from 'fast-check'
import { nesting } from './values.js'

const expressions = fc.oneof(
  fc.constantFrom(
    'inputs.x',
    'inputs.cmd',
    'tasks.a.output',
    'tasks.b.output.k[0]',
    "tasks.a.output['__proto__']",
    'tasks.__proto__.output',
    'tasks.constructor.status',
    'inputs.__proto__',
    'inputs.toString',
    'run.id',
    'memory.k',
    'context.x',
    'nope.x',
    '',
    '1 +',
    "'unterminated",
    'a.b[',
    'process.exit(1)',
    'tasks.a.output == null && !inputs.x || run.id != "x"',
  ),
  nesting.map((n) => `${'!'.repeat(n)}true`),
  nesting.map((n) => `${'('.repeat(n)}1${')'.repeat(n)}`),
  nesting.map((n) => '('.repeat(n)),
  nesting.map((n) =>
    Array(Math.min(n, 6000) + 1)
      .fill('true')
      .join(' && '),
  ),
  nesting.map((n) =>
    Array(Math.min(n, 6000) + 1)
      .fill('inputs.x')
      .join('||'),
  ),
  nesting.map((n) => `!(${'!('.repeat(n)}1${'))'.repeat(n)})`),
  fc
    .array(
      fc.constantFrom(
        'inputs',
        'tasks',
        'a',
        '.',
        '[',
        ']',
        '(',
        ')',
        '!',
        '&&',
        '||',
        '==',
        '<',
        "'",
        '"',
        '1',
        '-',
        ' ',
        '\\',
      ),
      { maxLength: 40 },
    )
    .map((parts) => parts.join('')),
)

/** A template in a string: alone, inside text, or broken (unclosed, empty, doubled braces). */
export const templates = fc.oneof(
  { weight: 4, arbitrary: expressions.map((e) => `\${{ ${e} }}`) },
  { weight: 1, arbitrary: expressions.map((e) => `text \${{ ${e} }} and \${{ inputs.x }}`) },
  {
    weight: 1,
    arbitrary: fc.constantFrom('${{', '${{ }}', '}}', '${{ inputs.x', 'plain text', '$${{{{ x }}}}'),
  },
)
