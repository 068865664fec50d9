import {
  createDataflow,
  type DataflowOptions,
  defineGraph,
  type Execution,
  type ExecutionSnapshot,
  TERMINAL_STATES,
} from '../src/index.js'

type Nodes = Record<
  string,
  { component: string; with?: Record<string, unknown>; onError?: 'drop' | 'route' | 'fail' }
>

/** A graph document from nodes and `from -> to` edge strings. */
export function graph(nodes: Nodes, edges: string[], extra: Record<string, unknown> = {}) {
  return defineGraph({
    weft: 1,
    kind: 'dataflow',
    name: 'test',
    ...extra,
    nodes,
    edges: edges.map((e) => {
      const [from = '', to = ''] = e.split('->').map((s) => s.trim())
      return { from, to }
    }),
  })
}

export interface Ran {
  execution: Execution
  outputs: { node: string; value: unknown }[]
  values: unknown[]
  snapshot: ExecutionSnapshot
}

/** Validates, starts, injects every input into the `input` node, ends and waits. */
export async function run(doc: unknown, inputs: unknown[], options: DataflowOptions = {}): Promise<Ran> {
  const df = createDataflow(options)
  const execution = await df.createExecution(doc)
  const outputs: { node: string; value: unknown }[] = []
  execution.onOutput((node, value) => outputs.push({ node, value }))
  await execution.start()
  for (const value of inputs) {
    // A failed execution refuses input; what it got so far is the result.
    if (TERMINAL_STATES.has(execution.state)) break
    await execution.send(value)
  }
  if (!TERMINAL_STATES.has(execution.state)) execution.end()
  const snapshot = await execution.done
  return { execution, outputs, values: outputs.map((o) => o.value), snapshot }
}
