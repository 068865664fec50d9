import { type LoadedDocument, loadWorkflowFile, parseWorkflowText } from '@weft/core'
import type { Backend, Component, CostModel, WeftPlugin } from '@weft/spec'
import { builtinComponents } from './components/index.js'
import { DataflowError } from './events.js'
import { Execution, type ExecutionOptions } from './execution.js'
import type { GraphPlan } from './plan.js'
import { type GraphValidation, validateGraph } from './validate.js'

export interface DataflowOptions {
  /** Components besides the built-ins (a plugin's come through `plugins`). */
  // biome-ignore lint/suspicious/noExplicitAny: each component has its own options type
  components?: Component<any>[]
  /** Plugins whose `components` (and `backends`, for `agent` nodes) are added. */
  plugins?: WeftPlugin[]
  /** Backends `agent` nodes may use. */
  backends?: Backend[]
  /** Prices `agent` usage and estimates calls for budget checks (`createCostModel()` of @weft/cost). */
  cost?: CostModel
  /** Default budget of each `agent` node. */
  budget?: { maxCostUsd?: number; maxTokens?: number }
  workDir?: string
}

/** Graphs in, executions out: the components a host knows, validation and executions. */
export interface Dataflow {
  // biome-ignore lint/suspicious/noExplicitAny: each component has its own options type
  readonly components: ReadonlyMap<string, Component<any>>
  /** Validates a parsed graph (an object from YAML, JSON or code). */
  validate(
    raw: unknown,
    where?: { file?: string; locate?: LoadedDocument['locate']; diagnostics?: LoadedDocument['diagnostics'] },
  ): Promise<GraphValidation>
  /** Reads and validates a `.yaml`, `.yml` or `.json` graph file. */
  validateFile(file: string): Promise<GraphValidation>
  /** Parses and validates YAML or JSON text. */
  validateText(text: string, file?: string): Promise<GraphValidation>
  /** Creates an execution (state `pending`) of a valid graph; throws `graph_invalid` with the diagnostics otherwise. */
  createExecution(graph: GraphPlan | unknown, options?: ExecutionOptions): Promise<Execution>
}

export function createDataflow(options: DataflowOptions = {}): Dataflow {
  const backends = [...(options.plugins ?? []).flatMap((p) => p.backends ?? []), ...(options.backends ?? [])]
  const all = [
    ...builtinComponents({
      backends,
      ...(options.cost ? { cost: options.cost } : {}),
      ...(options.budget ? { budget: options.budget } : {}),
      ...(options.workDir ? { workDir: options.workDir } : {}),
    }),
    ...(options.plugins ?? []).flatMap((p) => p.components ?? []),
    ...(options.components ?? []),
  ]
  // Later ones win: a plugin or an embedding app may replace a built-in on purpose.
  const components = new Map(all.map((c) => [c.id, c]))
  const validate: Dataflow['validate'] = (raw, where = {}) =>
    validateGraph(raw, {
      components,
      ...(where.file ? { file: where.file } : {}),
      ...(where.locate ? { locate: where.locate } : {}),
      ...(where.diagnostics ? { diagnostics: where.diagnostics } : {}),
    })
  return {
    components,
    validate,
    async validateFile(file) {
      const doc = await loadWorkflowFile(file)
      return validate(doc.value, { file, locate: doc.locate, diagnostics: doc.diagnostics })
    },
    async validateText(text, file) {
      const doc = parseWorkflowText(text, file)
      return validate(doc.value, {
        ...(file ? { file } : {}),
        locate: doc.locate,
        diagnostics: doc.diagnostics,
      })
    },
    async createExecution(graph, executionOptions) {
      let plan: GraphPlan
      if (isPlan(graph)) plan = graph
      else {
        const result = await validate(graph)
        if (!result.ok || !result.plan) {
          const first = result.diagnostics.find((d) => d.level === 'error')
          const error = new DataflowError(
            'graph_invalid',
            `the graph is invalid: ${first?.message ?? 'see its diagnostics'}`,
            first?.hint,
          )
          Object.assign(error, { diagnostics: result.diagnostics })
          throw error
        }
        plan = result.plan
      }
      return new Execution(plan, executionOptions)
    },
  }
}

function isPlan(value: unknown): value is GraphPlan {
  return (
    value !== null &&
    typeof value === 'object' &&
    'topology' in value &&
    'nodes' in value &&
    Array.isArray((value as GraphPlan).nodes)
  )
}
