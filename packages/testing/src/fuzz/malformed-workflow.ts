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
 *
 * This file turns generated shapes and texts into cases; the parts they are made of are in
 * `values.ts`, `templates.ts`, `workflow-shape.ts` (objects) and `text.ts` (YAML and corruption).
 */
import fc from 'fast-check'
import { toJsonText, toObject, toYamlText } from './emit.js'
import { corrupt, deepYaml, YAML_SNIPPETS } from './text.js'
import { entriesOf, ids, junk } from './values.js'
import { workflowShape } from './workflow-shape.js'

// Still exported from here, where it lived before the values had a file of their own.
export { PROTOTYPE_NAMES } from './values.js'

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
