/**
 * The shape of a generated workflow, before it is rendered as an object, JSON or YAML: tasks with
 * wrong types in every field, inputs, long and cyclic chains of tasks, and workflows one detail
 * away from valid (so cases also reach the checks after the schema). Kept apart from the forms in
 * `malformed-workflow.ts` because every form renders the same shapes.
 */
import fc from 'fast-check'
import { deep } from './emit.js'
import { templates } from './templates.js'
import { entriesOf, ids, junk, orJunk, PROTOTYPE_NAMES } from './values.js'

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

/** Any shape: near-valid, a workflow with junk in its fields, plain junk, or prototype names as keys. */
export const workflowShape: fc.Arbitrary<unknown> = fc.oneof(
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
