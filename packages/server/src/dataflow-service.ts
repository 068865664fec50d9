import { randomBytes } from 'node:crypto'
import type { DataflowExecution, DataflowGraphInfo } from '@weft/api'
import { dataflowStoreOf, type Json, type JsonObject, type Runtime } from '@weft/core'
import type { Dataflow, Execution, GraphPlan, GraphValidation } from '@weft/dataflow'
import { HttpError } from './errors.js'

/**
 * The dataflow executions a server runs: graphs registered by id, live executions in memory, and
 * each execution kept in the store (when it has the `dataflow` part) at its start and its end,
 * with its recorded events and final metrics, so that it can be listed and read after it ended or
 * after a restart.
 */
export class DataflowService {
  private readonly graphs = new Map<string, { info: DataflowGraphInfo; plan: GraphPlan }>()
  private readonly live = new Map<
    string,
    { execution: Execution; graphId?: string; recorded?: Promise<void> }
  >()
  /** Finished executions stay live this long (their metrics and events in memory), then only in the store. */
  private readonly keepFinishedMs = 10 * 60_000
  /** Graphs kept (the oldest go first) and executions running at once: a client cannot grow memory without bound. */
  static readonly MAX_GRAPHS = 1000
  static readonly MAX_RUNNING = 100

  constructor(
    readonly runtime: Runtime,
    readonly dataflow: Dataflow,
    private readonly maxGraphBytes: number,
  ) {}

  async validate(graph: string | Record<string, unknown>): Promise<GraphValidation> {
    if (typeof graph === 'string') {
      if (Buffer.byteLength(graph) > this.maxGraphBytes) {
        throw new HttpError('workflow_too_large', `the graph is larger than ${this.maxGraphBytes} bytes`)
      }
      return this.dataflow.validateText(graph)
    }
    return this.dataflow.validate(graph)
  }

  async register(graph: string | Record<string, unknown>): Promise<DataflowGraphInfo> {
    const plan = await this.planOf(graph)
    const info: DataflowGraphInfo = {
      id: `dfg_${randomBytes(8).toString('hex')}`,
      name: plan.plan.name,
      nodes: plan.plan.nodes.length,
      edges: plan.plan.edges.length,
      topology: plan.plan.topology,
      diagnostics: plan.diagnostics,
      createdAt: new Date().toISOString(),
    }
    this.graphs.set(info.id, { info, plan: plan.plan })
    if (this.graphs.size > DataflowService.MAX_GRAPHS) this.graphs.delete(this.graphs.keys().next().value!)
    return info
  }

  listGraphs(): DataflowGraphInfo[] {
    return [...this.graphs.values()].map((g) => g.info).reverse()
  }

  async create(body: {
    graphId?: string
    graph?: string | Record<string, unknown>
    start: boolean
  }): Promise<DataflowExecution> {
    let plan: GraphPlan
    if (body.graphId !== undefined) {
      const known = this.graphs.get(body.graphId)
      if (!known)
        throw new HttpError('not_found', `there is no dataflow graph '${body.graphId}'`, {
          hint: 'register it with POST /api/v1/dataflow/graphs',
        })
      plan = known.plan
    } else plan = (await this.planOf(body.graph!)).plan
    const execution = await this.dataflow.createExecution(plan)
    const entry: { execution: Execution; graphId?: string; recorded?: Promise<void> } = {
      execution,
      ...(body.graphId ? { graphId: body.graphId } : {}),
    }
    this.live.set(execution.id, entry)
    await this.record(execution, plan)
    entry.recorded = execution.done.then(async () => {
      await this.record(execution, plan, true).catch(() => {})
      setTimeout(() => this.live.delete(execution.id), this.keepFinishedMs).unref()
    })
    if (body.start) await execution.start()
    return this.describe(execution)
  }

  execution(id: string): Execution {
    const entry = this.live.get(id)
    if (!entry) {
      throw new HttpError('not_found', `there is no running dataflow execution '${id}' on this server`, {
        hint: 'list executions with GET /api/v1/dataflow/executions',
      })
    }
    return entry.execution
  }

  /** Resolves once a finished execution is in the store (at once for one still running). */
  async recorded(id: string): Promise<void> {
    const entry = this.live.get(id)
    if (entry && ['completed', 'failed', 'cancelled'].includes(entry.execution.state)) await entry.recorded
  }

  async get(id: string): Promise<DataflowExecution> {
    const entry = this.live.get(id)
    if (entry) return this.describe(entry.execution)
    const stored = await dataflowStoreOf(this.runtime.store)?.get(id)
    if (!stored)
      throw new HttpError('not_found', `there is no dataflow execution '${id}'`, {
        hint: 'list executions with GET /api/v1/dataflow/executions',
      })
    return { ...(stored as unknown as DataflowExecution), live: false }
  }

  async list(): Promise<DataflowExecution[]> {
    const live = [...this.live.values()].map((e) => this.describe(e.execution))
    const ids = new Set(live.map((e) => e.id))
    const stored = ((await dataflowStoreOf(this.runtime.store)?.list({ limit: 100 })) ?? [])
      .filter((r) => !ids.has(r.id))
      .map((r) => ({ ...(r as unknown as DataflowExecution), live: false }))
    return [...live, ...stored].sort((a, b) =>
      a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : 0,
    )
  }

  async events(
    id: string,
  ): Promise<{ executionId: string; seq?: number; ts: string; type: string; data: unknown }[]> {
    const entry = this.live.get(id)
    if (entry)
      return entry.execution
        .events()
        .map(({ executionId, ts, type, ...data }) => ({ executionId, ts, type, data }))
    const store = dataflowStoreOf(this.runtime.store)
    if (!store || !(await store.get(id)))
      throw new HttpError('not_found', `there is no dataflow execution '${id}'`)
    return store.events(id, { limit: 10_000 })
  }

  /** Every live execution, for metrics. */
  executions(): Execution[] {
    return [...this.live.values()].map((e) => e.execution)
  }

  async stopAll(): Promise<void> {
    for (const { execution } of this.live.values()) {
      if (!['completed', 'failed', 'cancelled'].includes(execution.state))
        await execution.stop().catch(() => {})
    }
  }

  describe(execution: Execution): DataflowExecution {
    const graphId = this.live.get(execution.id)?.graphId
    return { ...execution.snapshot(), ...(graphId ? { graphId } : {}), live: true }
  }

  private async planOf(
    graph: string | Record<string, unknown>,
  ): Promise<{ plan: GraphPlan; diagnostics: GraphValidation['diagnostics'] }> {
    const result = await this.validate(graph)
    if (!result.ok || !result.plan) {
      const first = result.diagnostics.find((d) => d.level === 'error')
      throw new HttpError(
        'workflow_invalid',
        `the dataflow graph is invalid: ${first?.message ?? 'see details.diagnostics'}`,
        {
          ...(first?.hint ? { hint: first.hint } : {}),
          details: { diagnostics: result.diagnostics },
        },
      )
    }
    return { plan: result.plan, diagnostics: result.diagnostics }
  }

  /** Saves the record (and at the end its events) where the store keeps dataflow executions. */
  private async record(execution: Execution, plan: GraphPlan, final = false): Promise<void> {
    const store = dataflowStoreOf(this.runtime.store)
    if (!store) return
    const s = execution.snapshot()
    await store.save({
      id: s.id,
      graph: s.graph,
      state: s.state,
      createdAt: s.createdAt,
      ...(s.startedAt ? { startedAt: s.startedAt } : {}),
      ...(s.completedAt ? { completedAt: s.completedAt } : {}),
      ...(s.error ? { error: s.error } : {}),
      source: 'api',
      spec: JSON.parse(JSON.stringify(plan.graph)) as JsonObject,
      metrics: JSON.parse(JSON.stringify(s.metrics)) as JsonObject,
    })
    if (!final) return
    const events = execution.events().map(({ executionId: _id, ts, type, ...data }) => ({
      ts,
      type,
      data: JSON.parse(JSON.stringify(data)) as Json,
    }))
    for (let i = 0; i < events.length; i += 1000) await store.append(s.id, events.slice(i, i + 1000))
  }
}
