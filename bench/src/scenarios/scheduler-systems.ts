/**
 * The three ways scenario 1 (and 2) runs a graph of no-op tasks: weft, the floor (a minimal
 * hand-written topological executor) and LangGraph.js. Each takes the same `Dag` and the same
 * parallelism and resolves when every task has run once.
 */
import { BACKEND_SPECIFICATION_VERSION, type Backend, createRuntime, type Store } from '@weft/core'
import type { Dag } from '../lib/graph.js'

export const PARALLELISM = 8

/** A backend that does nothing: what is left is the runtime's own cost. */
export const noopBackend: Backend = {
  specificationVersion: BACKEND_SPECIFICATION_VERSION,
  id: 'noop',
  label: 'no-op',
  capabilities: {
    streaming: false,
    events: false,
    cancel: false,
    pause: false,
    resumeSession: false,
    usage: false,
    tools: false,
  },
  async execute() {
    return { output: null }
  },
}

export function workflowOf(dag: Dag, parallelism = PARALLELISM) {
  const tasks: Record<string, { needs?: string[] }> = {}
  for (let i = 0; i < dag.ids.length; i++) {
    const needs = dag.needs[i]!
    tasks[dag.ids[i]!] = needs.length ? { needs: needs.map((j) => dag.ids[j]!) } : {}
  }
  return {
    weft: 1 as const,
    name: `bench-${dag.ids.length}`,
    maxParallelism: parallelism,
    defaults: { backend: 'noop' },
    tasks,
  }
}

export interface WeftRunResult {
  /** start() resolved: validated, planned, `run.created` committed. */
  startMs: number
  totalMs: number
  events: number
}

/** The whole run through the public API: start (validate, plan, commit), then wait for the end. */
export async function runWeft(dag: Dag, store: Store, parallelism = PARALLELISM): Promise<WeftRunResult> {
  const runtime = createRuntime({ store, backends: [noopBackend], maxParallelism: parallelism })
  try {
    const t0 = performance.now()
    const workflow = workflowOf(dag, parallelism)
    const started = await runtime.start({ workflow, initiator: 'code' })
    const t1 = performance.now()
    const done = await runtime.wait(started.id)
    const t2 = performance.now()
    if (done.status !== 'succeeded' || done.taskCounts.succeeded !== dag.ids.length) {
      throw new Error(
        `weft run ended ${done.status} with ${done.taskCounts.succeeded}/${dag.ids.length} tasks`,
      )
    }
    return { startMs: t1 - t0, totalMs: t2 - t0, events: done.lastSeq }
  } finally {
    await runtime.close()
  }
}

/**
 * The floor: in-degree counts, a FIFO ready queue in declaration order and at most `parallelism`
 * tasks in flight, each an awaited async call. Nothing is recorded; nothing could be cheaper and
 * still run the graph with the same parallelism.
 */
export async function runFloor(dag: Dag, parallelism = PARALLELISM): Promise<number> {
  const t0 = performance.now()
  const n = dag.ids.length
  const waiting = new Int32Array(n)
  const dependents: number[][] = Array.from({ length: n }, () => [])
  for (let i = 0; i < n; i++) {
    const needs = dag.needs[i]!
    waiting[i] = needs.length
    for (const j of needs) dependents[j]?.push(i)
  }
  const ready: number[] = []
  for (let i = 0; i < n; i++) if (waiting[i] === 0) ready.push(i)
  const task = async (_i: number) => {}
  await new Promise<void>((resolve, reject) => {
    let head = 0
    let running = 0
    let done = 0
    const pump = () => {
      while (running < parallelism && head < ready.length) {
        const i = ready[head++]!
        running++
        task(i).then(() => {
          running--
          done++
          for (const d of dependents[i]!) {
            const left = waiting[d]! - 1
            waiting[d] = left
            if (left === 0) ready.push(d)
          }
          if (done === n) resolve()
          else pump()
        }, reject)
      }
    }
    pump()
  })
  return performance.now() - t0
}

/**
 * The recording floor: the floor's executor, also appending the events weft records per task
 * (run.created, task.added for each task, then task.queued, task.started and task.succeeded as it
 * runs them, run.started and run.succeeded), each with its seq and timestamp, to an array. The
 * ratio of weft to this floor is what weft's design costs beyond recording what happened.
 */
export async function runRecordingFloor(dag: Dag, parallelism = PARALLELISM): Promise<number> {
  const t0 = performance.now()
  const n = dag.ids.length
  const runId = 'run_floor'
  const log: Record<string, unknown>[] = []
  let seq = 0
  const record = (type: string, data: Record<string, unknown>, taskId?: string, attempt?: number) => {
    log.push({
      runId,
      seq: ++seq,
      ts: new Date().toISOString(),
      type,
      taskId,
      attempt,
      severity: 'info',
      data,
    })
  }
  const waiting = new Int32Array(n)
  const dependents: number[][] = Array.from({ length: n }, () => [])
  record('run.created', { name: 'floor', inputs: {}, taskIds: dag.ids, diagnostics: [] })
  for (let i = 0; i < n; i++) {
    const needs = dag.needs[i]!
    waiting[i] = needs.length
    for (const j of needs) dependents[j]?.push(i)
    record('task.added', { needs: needs.map((j) => dag.ids[j]!), priority: 50 }, dag.ids[i])
  }
  record('run.started', { maxParallelism: parallelism, mode: 'eager' })
  const ready: number[] = []
  const queue = (i: number) => {
    ready.push(i)
    record('task.queued', {}, dag.ids[i])
  }
  for (let i = 0; i < n; i++) if (waiting[i] === 0) queue(i)
  const task = async (_i: number) => {}
  await new Promise<void>((resolve, reject) => {
    let head = 0
    let running = 0
    let done = 0
    const pump = () => {
      while (running < parallelism && head < ready.length) {
        const i = ready[head++]!
        running++
        const started = performance.now()
        record('task.started', { backend: 'noop' }, dag.ids[i], 1)
        task(i).then(() => {
          running--
          done++
          record('task.succeeded', { output: null, durationMs: performance.now() - started }, dag.ids[i], 1)
          for (const d of dependents[i]!) {
            const left = waiting[d]! - 1
            waiting[d] = left
            if (left === 0) queue(d)
          }
          if (done === n) resolve()
          else pump()
        }, reject)
      }
    }
    pump()
  })
  record('run.succeeded', { outputs: {}, durationMs: performance.now() - t0 })
  if (log.length !== 4 * n + 3) throw new Error(`the recording floor wrote ${log.length} events`)
  return performance.now() - t0
}

/**
 * LangGraph.js: one node per task, an edge from START to each source, a (waiting) edge from the
 * needs of each task to it, `maxConcurrency` as the parallelism. Nodes return no update.
 */
export async function runLangGraph(dag: Dag, parallelism = PARALLELISM): Promise<number> {
  const { Annotation, START, StateGraph } = await import('@langchain/langgraph')
  const t0 = performance.now()
  const State = Annotation.Root({ count: Annotation<number> })
  // biome-ignore lint/suspicious/noExplicitAny: node names are dynamic, LangGraph's types are not
  const graph: any = new StateGraph(State)
  let ran = 0
  const node = async () => {
    ran++
    return {}
  }
  for (const id of dag.ids) graph.addNode(id, node)
  for (let i = 0; i < dag.ids.length; i++) {
    const needs = dag.needs[i]!
    const id = dag.ids[i]!
    if (needs.length === 0) graph.addEdge(START, id)
    else if (needs.length === 1) graph.addEdge(dag.ids[needs[0]!]!, id)
    else
      graph.addEdge(
        needs.map((j) => dag.ids[j]!),
        id,
      )
  }
  const app = graph.compile()
  await app.invoke({}, { maxConcurrency: parallelism, recursionLimit: dag.layers * 2 + 100 })
  if (ran !== dag.ids.length) throw new Error(`LangGraph ran ${ran} of ${dag.ids.length} nodes`)
  return performance.now() - t0
}
