import { formatPath, type Locator } from '@weft/core'
import type { Component, Diagnostic, PortSpec } from '@weft/spec'
import type { z } from 'zod'
import {
  DataflowGraphSchema,
  DEFAULT_QUEUE_CAPACITY,
  ENDPOINT_PATTERN,
  GraphEdgeSchema,
  GraphNodeSchema,
  type OnErrorAction,
} from './graph-schema.js'
import type { GraphPlan, PlannedEdge, PlannedNode } from './plan.js'
import { loadQuickJS } from './sandbox/quickjs.js'
import { closest, listNames } from './suggest.js'
import { analyzeTopology } from './topology.js'

type Path = (string | number)[]

export interface ValidateGraphOptions {
  /** The components graphs may use, by id (built-ins and plugins'). */
  // biome-ignore lint/suspicious/noExplicitAny: each component has its own options type
  components: ReadonlyMap<string, Component<any>>
  file?: string
  locate?: Locator
  /** Earlier problems (from parsing) to report together with these. */
  diagnostics?: Diagnostic[]
}

export interface GraphValidation {
  ok: boolean
  plan?: GraphPlan
  diagnostics: Diagnostic[]
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v)

const KNOWN_KEYS: [(p: Path) => boolean, string[]][] = [
  [(p) => p.length === 0, Object.keys(DataflowGraphSchema.shape)],
  [(p) => p.length === 2 && p[0] === 'nodes', Object.keys(GraphNodeSchema.shape)],
  [(p) => p.length === 2 && p[0] === 'edges', Object.keys(GraphEdgeSchema.shape)],
]

/**
 * Validates a dataflow graph and collects every problem at once, each with file, line, path and a
 * fix: the document's shape, unknown components (with "did you mean"), each node's `with:` against
 * its component's schema and checks (expressions must compile), unknown nodes and ports in edges,
 * edges in the wrong direction, mismatched port types, duplicate edges and cycles (named). A valid
 * graph comes back as a plan in topological order.
 */
export async function validateGraph(raw: unknown, options: ValidateGraphOptions): Promise<GraphValidation> {
  const diagnostics: Diagnostic[] = [...(options.diagnostics ?? [])]
  const add = (d: {
    level?: Diagnostic['level']
    code: string
    message: string
    path?: Path
    hint?: string | undefined
  }) => {
    const pos = d.path && options.locate ? options.locate(d.path) : undefined
    diagnostics.push({
      level: d.level ?? 'error',
      code: d.code,
      message: d.message,
      ...(d.path ? { path: formatPath(d.path) } : {}),
      ...(options.file ? { file: options.file } : {}),
      ...(pos ? { line: pos.line, column: pos.column } : {}),
      ...(d.hint ? { hint: d.hint } : {}),
    })
  }
  const finish = (plan?: GraphPlan): GraphValidation => {
    const ok = !diagnostics.some((d) => d.level === 'error')
    return { ok, ...(ok && plan ? { plan } : {}), diagnostics }
  }
  if (raw === undefined && diagnostics.length > 0) return finish()
  if (!isObject(raw)) {
    add({
      code: 'not_a_graph',
      message:
        'a dataflow graph must be a mapping with `weft: 1`, `kind: dataflow`, `name`, `nodes` and `edges`',
      hint: 'start from examples/dataflow/evens.yaml',
    })
    return finish()
  }

  // 1. Shape.
  const parsed = DataflowGraphSchema.safeParse(raw)
  if (!parsed.success) for (const issue of parsed.error.issues) schemaIssue(issue, raw, add)
  const rawNodes = isObject(raw.nodes) ? raw.nodes : {}
  const rawEdges = Array.isArray(raw.edges) ? raw.edges : []
  if (isObject(raw.nodes) && Object.keys(rawNodes).length === 0) {
    add({
      code: 'no_nodes',
      message: 'the graph has no nodes',
      path: ['nodes'],
      hint: 'add nodes such as `src: { component: input }`',
    })
  }

  // 2. Components and their options, whatever else is wrong, so every problem shows at once.
  const needsSandbox = Object.values(rawNodes).some(
    (n) => isObject(n) && typeof n.component === 'string' && options.components.get(n.component)?.check,
  )
  if (needsSandbox) await loadQuickJS()
  const planned = new Map<string, PlannedNode>()
  for (const [id, node] of Object.entries(rawNodes)) {
    if (!isObject(node) || typeof node.component !== 'string') continue
    const component = options.components.get(node.component)
    if (!component) {
      const guess = closest(node.component, options.components.keys())
      add({
        code: 'unknown_component',
        message: `node '${id}' uses an unknown component '${node.component}'`,
        path: ['nodes', id, 'component'],
        hint: guess
          ? `did you mean '${guess}'?`
          : `components here: ${listNames([...options.components.keys()])} (or install a plugin that provides it)`,
      })
      continue
    }
    const withPath: Path = ['nodes', id, 'with']
    let opts: unknown = node.with ?? {}
    if (component.optionsSchema) {
      const r = component.optionsSchema.safeParse(opts)
      if (!r.success) {
        for (const issue of r.error.issues)
          optionIssue(issue, withPath, component, isObject(opts) ? opts : {}, add)
        continue
      }
      opts = r.data
    }
    let failedCheck = false
    for (const problem of component.check?.(opts) ?? []) {
      failedCheck = true
      add({
        code: 'bad_option',
        message: `node '${id}': ${problem.message}`,
        path: [...withPath, ...problem.path],
        hint: problem.hint,
      })
    }
    if (failedCheck) continue
    const ports = component.ports
      ? component.ports(opts)
      : { inputs: component.inputs, outputs: component.outputs }
    const onError: OnErrorAction =
      (['drop', 'route', 'fail'] as const).find((a) => a === node.onError) ?? 'fail'
    const outputs =
      onError === 'route' && !ports.outputs.some((p) => p.name === 'error')
        ? [...ports.outputs, { name: 'error', type: 'object' as const }]
        : ports.outputs
    planned.set(id, { id, component, options: opts, inputs: ports.inputs, outputs, onError })
  }

  // 3. Edges.
  const edges: PlannedEdge[] = []
  const seen = new Set<string>()
  const capacity = typeof raw.queueCapacity === 'number' ? raw.queueCapacity : DEFAULT_QUEUE_CAPACITY
  rawEdges.forEach((edge, i) => {
    if (!isObject(edge) || typeof edge.from !== 'string' || typeof edge.to !== 'string') return
    const from = endpoint(edge.from, ['edges', i, 'from'], 'output', rawNodes, planned, add)
    const to = endpoint(edge.to, ['edges', i, 'to'], 'input', rawNodes, planned, add)
    if (!from || !to) return
    const key = `${edge.from}\u0000${edge.to}`
    if (seen.has(key)) {
      add({
        code: 'duplicate_edge',
        message: `the edge ${edge.from} → ${edge.to} is declared twice`,
        path: ['edges', i],
        hint: 'remove one of them',
      })
      return
    }
    seen.add(key)
    const a = from.port.type ?? 'any'
    const b = to.port.type ?? 'any'
    if (a !== 'any' && b !== 'any' && a !== b) {
      add({
        code: 'port_type_mismatch',
        message: `${edge.from} emits ${a} but ${edge.to} takes ${b}`,
        path: ['edges', i],
        hint: `connect ports of the same type, or put a map node between them that turns ${a} into ${b}`,
      })
      return
    }
    edges.push({
      from: from.node,
      fromPort: from.port.name,
      to: to.node,
      toPort: to.port.name,
      capacity: typeof edge.capacity === 'number' ? edge.capacity : capacity,
    })
  })

  // 4. Topology (Kahn): cycles are named.
  const ids = Object.keys(rawNodes)
  const { topology, cycles } = analyzeTopology(
    ids,
    rawEdges.filter(isObject).flatMap((e) => {
      const f = typeof e.from === 'string' ? ENDPOINT_PATTERN.exec(e.from) : null
      const t = typeof e.to === 'string' ? ENDPOINT_PATTERN.exec(e.to) : null
      return f && t ? [{ from: f[1]!, to: t[1]! }] : []
    }),
  )
  for (const cycle of cycles) {
    add({
      code: 'cycle',
      message: `the graph has a cycle: ${cycle.join(' → ')}`,
      path: ['nodes', cycle[0]!],
      hint: 'a dataflow graph is acyclic: remove one of these edges (feed results back through a new execution instead)',
    })
  }

  // 5. Inputs nothing feeds.
  for (const node of planned.values()) {
    if (node.component.id === 'input') continue
    for (const port of node.inputs) {
      if (!edges.some((e) => e.to === node.id && e.toPort === port.name)) {
        add({
          level: 'warning',
          code: 'unconnected_input',
          message: `nothing is connected to ${node.id}.${port.name}`,
          path: ['nodes', node.id],
          hint: `add an edge \`{ from: <node>.out, to: ${node.id}.${port.name} }\`, or inject into it by name`,
        })
      }
    }
  }

  if (diagnostics.some((d) => d.level === 'error') || !parsed.success) return finish()
  const plan: GraphPlan = {
    name: parsed.data.name,
    graph: parsed.data,
    nodes: topology.order.map((id) => planned.get(id)!),
    edges,
    topology,
    queueCapacity: capacity,
  }
  return finish(plan)
}

type Add = (d: {
  level?: Diagnostic['level']
  code: string
  message: string
  path?: Path
  hint?: string | undefined
}) => void

function endpoint(
  text: string,
  path: Path,
  direction: 'input' | 'output',
  rawNodes: Record<string, unknown>,
  planned: ReadonlyMap<string, PlannedNode>,
  add: Add,
): { node: string; port: PortSpec } | undefined {
  const m = ENDPOINT_PATTERN.exec(text)
  if (!m) return undefined // reported by the schema
  const [, nodeId, portName] = m as unknown as [string, string, string]
  if (!Object.hasOwn(rawNodes, nodeId)) {
    const guess = closest(nodeId, Object.keys(rawNodes))
    add({
      code: 'unknown_node',
      message: `the edge endpoint '${text}' names an unknown node '${nodeId}'`,
      path,
      hint: guess ? `did you mean '${guess}.${portName}'?` : `nodes: ${listNames(Object.keys(rawNodes))}`,
    })
    return undefined
  }
  const node = planned.get(nodeId)
  if (!node) return undefined // its component or options are reported already
  const ports = direction === 'output' ? node.outputs : node.inputs
  const port = ports.find((p) => p.name === portName)
  if (port) return { node: nodeId, port }
  const other = (direction === 'output' ? node.inputs : node.outputs).some((p) => p.name === portName)
  const guess = closest(
    portName,
    ports.map((p) => p.name),
  )
  add({
    code: other ? 'wrong_direction' : 'unknown_port',
    message: other
      ? `'${text}' is an ${direction === 'output' ? 'input' : 'output'} port of '${nodeId}' (${node.component.id}), but an edge's \`${direction === 'output' ? 'from' : 'to'}\` must be an ${direction} port`
      : `node '${nodeId}' (${node.component.id}) has no ${direction} port '${portName}'`,
    path,
    hint:
      guess && !other
        ? `did you mean '${nodeId}.${guess}'?`
        : `its ${direction} ports: ${ports.map((p) => p.name).join(', ') || 'none'}`,
  })
  return undefined
}

function schemaIssue(issue: z.core.$ZodIssue, raw: Record<string, unknown>, add: Add): void {
  const path = issue.path as Path
  const where = path.length ? formatPath(path) : 'the graph'
  if (issue.code === 'unrecognized_keys') {
    const known = KNOWN_KEYS.find(([m]) => m(path))?.[1] ?? []
    for (const key of issue.keys) {
      const guess = closest(key, known)
      add({
        code: 'unknown_key',
        message: `${where} has an unknown key '${key}'`,
        path: [...path, key],
        hint: guess ? `did you mean '${guess}'?` : `allowed keys: ${known.join(', ')}`,
      })
    }
    return
  }
  if (path.length === 1 && path[0] === 'weft') {
    add({
      code: 'bad_version',
      message: 'a dataflow graph must start with `weft: 1`',
      path,
      hint: 'add `weft: 1` at the top of the file',
    })
    return
  }
  if (path.length === 1 && path[0] === 'kind') {
    add({
      code: 'not_dataflow',
      message: 'a dataflow graph has `kind: dataflow`',
      path,
      hint: 'add `kind: dataflow` (a workflow of tasks runs with `weft run` instead)',
    })
    return
  }
  const missing = issue.code === 'invalid_type' && valueAt(raw, path) === undefined
  add({
    code: missing ? 'missing_field' : 'bad_value',
    message: missing ? `${where} is required` : `${where}: ${issue.message}`,
    path,
    hint: path[path.length - 1] === 'onError' ? 'onError is drop, route or fail' : undefined,
  })
}

function optionIssue(
  issue: z.core.$ZodIssue,
  base: Path,
  // biome-ignore lint/suspicious/noExplicitAny: each component has its own options type
  component: Component<any>,
  opts: Record<string, unknown>,
  add: Add,
): void {
  const path = [...base, ...(issue.path as Path)]
  const known =
    component.optionsSchema && 'shape' in component.optionsSchema
      ? Object.keys((component.optionsSchema as unknown as { shape: object }).shape)
      : []
  if (issue.code === 'unrecognized_keys') {
    for (const key of issue.keys) {
      const guess = closest(key, known)
      add({
        code: 'unknown_option',
        message: `component '${component.id}' has no option '${key}'`,
        path: [...path, key],
        hint: guess ? `did you mean '${guess}'?` : `its options: ${known.join(', ') || 'none'}`,
      })
    }
    return
  }
  const missing = issue.code === 'invalid_type' && valueAt(opts, issue.path as Path) === undefined
  add({
    code: missing ? 'missing_option' : 'bad_option',
    message: missing
      ? `component '${component.id}' needs the option '${formatPath(issue.path as Path)}'`
      : `${formatPath(path)}: ${issue.message}`,
    path,
    hint: missing ? `add it under \`with:\` (its options: ${known.join(', ')})` : undefined,
  })
}

function valueAt(value: unknown, path: Path): unknown {
  for (const seg of path) {
    if (value === null || typeof value !== 'object' || !Object.hasOwn(value, seg)) return undefined
    value = (value as Record<string | number, unknown>)[seg]
  }
  return value
}
