/**
 * Generated malformed workflows for fuzzing anything that accepts a workflow: `validateWorkflow`,
 * `parseWorkflowText`/`loadWorkflowFile`, `runtime.start`, `POST /api/v1/runs`. Each case is an
 * object (as code or a JSON body would pass it) or the text of a YAML or JSON file. They mix
 * near-valid workflows with the attacks seen in practice: prototype names as ids, agents and
 * inputs (`__proto__`, `constructor`, `toString`), templates nested or chained thousands of times,
 * documents nested thousands of levels (objects, YAML flow and block), cycles, wrong types
 * everywhere, commands taken from inputs, YAML anchors, tags and multiple documents, truncated
 * and corrupted text. Whatever a case holds, the thing under test must answer with diagnostics
 * (or accept it), never crash.
 */
import fc from 'fast-check'
import { deep, toJsonText, toObject, toYamlText } from './emit.js'

interface CaseCommon {
  /** Run inputs to pass with it (`inputs` of a run or request), absent in most cases. */
  inputs?: Record<string, unknown>
  /**
   * The whole `POST /api/v1/runs` body as JSON text: `{"workflow": …, "inputs": …}`. Build bodies
   * from this, not with JSON.stringify, which overflows on the deepest values.
   */
  requestBody: string
}

export type MalformedWorkflowCase = CaseCommon &
  (
    | {
        form: 'object'
        workflow: unknown
        /** The same workflow as JSON text (JSON.stringify overflows on the deepest ones). */
        json: string
      }
    | { form: 'json' | 'yaml'; text: string }
  )

/** Names every JavaScript object answers to, and a few that look like ids. */
export const PROTOTYPE_NAMES = [
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  'valueOf',
  'isPrototypeOf',
  '__defineGetter__',
] as const

const ids = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('a', 'b', 'c', 'build', 'test_1', 'deploy-x') },
  { weight: 3, arbitrary: fc.constantFrom(...PROTOTYPE_NAMES) },
  { weight: 1, arbitrary: fc.string({ maxLength: 10 }) },
  { weight: 1, arbitrary: fc.constantFrom('', ' ', 'a b', '1abc', 'x'.repeat(200), 'ünï', 'a\u0000b') },
)

const nesting = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 1, max: 200 }) },
  { weight: 2, arbitrary: fc.integer({ min: 200, max: 5000 }) },
  { weight: 1, arbitrary: fc.integer({ min: 5000, max: 20_000 }) },
)

/** Values nested far beyond any sane workflow. */
const deepValue = fc
  .tuple(nesting, fc.constantFrom('array' as const, 'object' as const, 'mixed' as const))
  .map(([n, kind]) => deep(n, kind))

const junk: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 1, arbitrary: deepValue },
  { weight: 1, arbitrary: fc.constantFrom(null, 0, -1, 1.5, 1e308, '', [], {}, true, 'x'.repeat(10_000)) },
)

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

const templates = fc.oneof(
  { weight: 4, arbitrary: expressions.map((e) => `\${{ ${e} }}`) },
  { weight: 1, arbitrary: expressions.map((e) => `text \${{ ${e} }} and \${{ inputs.x }}`) },
  {
    weight: 1,
    arbitrary: fc.constantFrom('${{', '${{ }}', '}}', '${{ inputs.x', 'plain text', '$${{{{ x }}}}'),
  },
)

const orJunk = <T>(arb: fc.Arbitrary<T>) =>
  fc.oneof({ weight: 3, arbitrary: arb as fc.Arbitrary<unknown> }, { weight: 1, arbitrary: junk })

const entriesOf = <V>(key: fc.Arbitrary<string>, value: fc.Arbitrary<V>, maxLength: number) =>
  // Object.fromEntries keeps `__proto__` as an own key, as JSON.parse does.
  fc.array(fc.tuple(key, value), { maxLength }).map((e) => Object.fromEntries(e) as Record<string, V>)

const command = fc.oneof(
  templates,
  fc.array(
    fc.oneof(templates, fc.constantFrom('sh', '-c', 'bash', '-lc', 'echo', 'ls', '/bin/sh', 'cmd.exe', '/c')),
    {
      maxLength: 5,
    },
  ),
  junk,
)

const task = fc.record(
  {
    needs: fc.oneof(ids, fc.array(ids, { maxLength: 4 }), junk),
    backend: orJunk(fc.constantFrom('mock', 'shell', 'nope', ...PROTOTYPE_NAMES)),
    agent: orJunk(fc.constantFrom('writer', ...PROTOTYPE_NAMES)),
    prompt: orJunk(templates),
    when: orJunk(templates),
    input: junk,
    with: orJunk(
      fc.record(
        { command, cwd: orJunk(templates), env: orJunk(entriesOf(ids, templates, 3)), stdin: junk },
        { requiredKeys: [] },
      ),
    ),
    priority: orJunk(fc.integer({ min: -5, max: 105 })),
    timeoutMs: orJunk(fc.integer()),
    retry: orJunk(fc.record({ maxAttempts: junk, backoffMs: junk, bogus: junk }, { requiredKeys: [] })),
    context: orJunk(
      fc.record({ from: orJunk(fc.array(ids, { maxLength: 3 })), strategy: junk }, { requiredKeys: [] }),
    ),
    approval: orJunk(fc.record({ message: junk }, { requiredKeys: [] })),
    budget: junk,
    allowInputCommands: orJunk(fc.boolean()),
    promt: junk,
  },
  { requiredKeys: [] },
)

const inputSpec = orJunk(
  fc.record(
    {
      type: orJunk(
        fc.constantFrom('string', 'number', 'integer', 'boolean', 'object', 'array', 'json', 'nope'),
      ),
      default: junk,
      required: orJunk(fc.boolean()),
    },
    { requiredKeys: [] },
  ),
)

/** A chain of tasks, optionally closed into a cycle, to stress graph walks. */
const chain = fc
  .tuple(fc.integer({ min: 2, max: 3000 }), fc.boolean())
  .map(([n, cyclic]) =>
    Object.fromEntries(
      Array.from({ length: n }, (_, i) => [
        `t${i}`,
        { backend: 'mock', ...(i > 0 || cyclic ? { needs: [`t${i === 0 ? n - 1 : i - 1}`] } : {}) },
      ]),
    ),
  )

/**
 * A workflow that is valid or one detail away from it, so that cases also reach the checks after
 * the schema (templates, upstream reads, commands) and produce workflows a runtime would run.
 */
const nearValid = fc
  .tuple(
    fc.integer({ min: 1, max: 6 }),
    fc.array(
      fc.constantFrom(
        '${{ inputs.x }}',
        '${{ inputs.toString }}',
        '${{ tasks.t0.output }}',
        '${{ tasks.t0.output.k[0] }}',
        '${{ run.id }}',
        `\${{ ${Array(300).fill('inputs.x').join(' && ')} }}`,
        `\${{ ${'!'.repeat(30)}inputs.x }}`,
        `\${{ ${'('.repeat(30)}inputs.x${')'.repeat(30)} }}`,
        'no template',
      ),
      { minLength: 6, maxLength: 6 },
    ),
    fc.option(fc.constantFrom(...PROTOTYPE_NAMES, 'toString', 'valueOf'), { nil: undefined }),
    fc.option(fc.integer({ min: 1, max: 80 }), { nil: undefined, freq: 2 }),
    fc.integer({ min: 0, max: 3 }).map((n) => n === 0),
  )
  .map(([count, prompts, oddName, inputDepth, shellFromInput]) => {
    const tasks: [string, unknown][] = []
    for (let i = 0; i < count; i++) {
      tasks.push([
        `t${i}`,
        {
          backend: 'mock',
          ...(i > 0 ? { needs: [`t${i - 1}`, ...(i > 1 ? ['t0'] : [])] } : {}),
          prompt: i === 0 ? prompts[i]!.replace(/tasks\.t0\.[^ }]*/g, 'run.id') : prompts[i],
          ...(i === 0 && inputDepth ? { input: deep(inputDepth, 'mixed') } : {}),
        },
      ])
    }
    if (shellFromInput) tasks.push(['sh', { backend: 'shell', with: { command: ['${{ inputs.x }}'] } }])
    if (oddName) tasks.push([oddName, { backend: 'mock' }])
    return {
      weft: 1,
      name: 'near-valid',
      inputs: Object.fromEntries([
        ['x', { type: 'string', default: 'v' }],
        ['toString', { type: 'string', default: 't' }],
        ...(oddName ? [[oddName, { type: 'string', default: 'p' }]] : []),
      ]),
      tasks: Object.fromEntries(tasks),
    }
  })

const workflowShape: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 6, arbitrary: nearValid },
  {
    weight: 12,
    arbitrary: fc.record(
      {
        weft: fc.oneof({ weight: 5, arbitrary: fc.constant(1) }, { weight: 1, arbitrary: junk }),
        name: orJunk(fc.constantFrom('fuzz', 'x')),
        inputs: orJunk(entriesOf(ids, inputSpec, 4)),
        defaults: orJunk(
          fc.record(
            { backend: orJunk(fc.constantFrom('mock', 'shell')), agent: junk, retry: junk },
            { requiredKeys: [] },
          ),
        ),
        outputs: orJunk(entriesOf(ids, templates, 3)),
        allowInputCommands: orJunk(fc.boolean()),
        maxParallelism: junk,
        mode: orJunk(fc.constantFrom('eager', 'batched', 'random')),
        tasks: fc.oneof(
          { weight: 6, arbitrary: entriesOf(ids, orJunk(task), 6) },
          { weight: 1, arbitrary: chain },
          { weight: 1, arbitrary: junk },
        ),
        extra: junk,
      },
      { requiredKeys: ['weft', 'tasks'] },
    ),
  },
  { weight: 1, arbitrary: junk },
  { weight: 1, arbitrary: entriesOf(fc.constantFrom(...PROTOTYPE_NAMES), junk, 3) },
)

/** Text that only YAML (or a corrupted file) produces. */
const YAML_SNIPPETS = [
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

const deepYaml = fc
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
const corrupt = (text: fc.Arbitrary<string>, snippets: readonly string[]) =>
  fc
    .tuple(text, fc.double({ min: 0, max: 1, noNaN: true }), fc.constantFrom(...snippets), fc.boolean())
    .map(([t, at, snippet, cut]) => {
      const i = Math.floor(at * t.length)
      return cut ? t.slice(0, i) : t.slice(0, i) + snippet + t.slice(i)
    })

/**
 * One malformed (or, now and then, valid) workflow. `form` says how to hand it over: `object` as
 * a value (`validateWorkflow(c.workflow)`, or `{ workflow: c.workflow }` as a JSON request body),
 * `json`/`yaml` as the text of a file or of an inline `workflow` string.
 */
export function arbitraryMalformedWorkflow(): fc.Arbitrary<MalformedWorkflowCase> {
  const object = workflowShape.map((s) => ({
    form: 'object' as const,
    workflow: toObject(s),
    json: toJsonText(s),
  }))
  const json = fc.oneof(
    { weight: 4, arbitrary: workflowShape.map(toJsonText) },
    {
      weight: 1,
      arbitrary: corrupt(workflowShape.map(toJsonText), [
        '{',
        '}',
        '"',
        ',',
        '[',
        '\\',
        '"__proto__":1,',
        'null',
      ]),
    },
    {
      weight: 1,
      arbitrary: fc
        .array(fc.integer({ min: 0, max: 0x10ffff }), { maxLength: 200 })
        // Code points, lone surrogates included (fc.string's binary unit is slow to set up).
        .map((cps) => cps.map((cp) => String.fromCodePoint(cp)).join('')),
    },
  )
  const yaml = fc.oneof(
    { weight: 4, arbitrary: workflowShape.map((s) => toYamlText(s)) },
    { weight: 1, arbitrary: deepYaml },
    { weight: 1, arbitrary: fc.constantFrom(...YAML_SNIPPETS) },
    {
      weight: 1,
      arbitrary: corrupt(
        workflowShape.map((s) => toYamlText(s)),
        YAML_SNIPPETS,
      ),
    },
  )
  const inputs = fc.option(entriesOf(ids, junk, 3), { nil: undefined, freq: 3 })
  return fc
    .tuple(
      fc.oneof(
        object,
        json.map((text) => ({ form: 'json' as const, text })),
        yaml.map((text) => ({ form: 'yaml' as const, text })),
      ),
      inputs,
    )
    .map(([c, given]): MalformedWorkflowCase => {
      const workflowJson = c.form === 'object' ? c.json : JSON.stringify(c.text)
      const requestBody = `{"workflow":${workflowJson}${given ? `,"inputs":${toJsonText(given)}` : ''}}`
      return { ...c, ...(given ? { inputs: toObject(given) as Record<string, unknown> } : {}), requestBody }
    })
}

/**
 * The seed and number of runs of a fuzz test: fixed by default so that a failure reproduces,
 * overridden by `WEFT_FUZZ_SEED` and `WEFT_FUZZ_RUNS`. Print the seed in the test's output.
 */
export function fuzzSettings(defaults: { seed?: number; runs?: number } = {}): {
  seed: number
  numRuns: number
} {
  const env = (name: string) => {
    const v = process.env[name]
    return v !== undefined && v !== '' && Number.isFinite(Number(v)) ? Number(v) : undefined
  }
  return {
    seed: env('WEFT_FUZZ_SEED') ?? defaults.seed ?? 0x5eed_0018,
    numRuns: env('WEFT_FUZZ_RUNS') ?? defaults.runs ?? 1000,
  }
}
