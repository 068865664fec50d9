import { DATAFLOW_WS_LIMITS, type WsServerMessage } from '@weft/api'
import type { DataflowEvent } from '@weft/dataflow'
import type { DataflowService } from './dataflow-service.js'

type PortEmit = Extract<WsServerMessage, { type: 'dataflow.port_emit' }>['items'][number]

/**
 * One WebSocket client's dataflow subscriptions. Recorded events go out as they happen; metrics
 * once a second; port emits (every hop, possibly millions a second) are coalesced per client: a
 * batch every 100 ms of at most 200 hops, the rest only counted, so a busy execution can never
 * grow a client's send queue.
 */
export class DataflowWsSubscriptions {
  private readonly subs = new Map<string, () => void>()

  constructor(
    private readonly service: DataflowService,
    private readonly send: (message: WsServerMessage) => boolean,
  ) {}

  subscribe(executionId: string, portEmits: boolean): void {
    this.unsubscribe(executionId)
    const execution = this.service.execution(executionId)
    const offs: (() => void)[] = []
    // Events too are bounded per client: at most maxEventsPerSecond, the rest counted.
    let sentThisSecond = 0
    let droppedEvents = 0
    offs.push(
      execution.on((e: DataflowEvent) => {
        if (e.type === 'port.emit' || e.type === 'metrics') return
        if (sentThisSecond >= DATAFLOW_WS_LIMITS.maxEventsPerSecond) {
          droppedEvents++
          return
        }
        sentThisSecond++
        const { executionId: _id, ...event } = e
        this.send({ type: 'dataflow.event', executionId, event: event as { type: string; ts: string } })
      }),
    )
    const metrics = setInterval(() => {
      this.send({
        type: 'dataflow.metrics',
        executionId,
        metrics: execution.metrics(),
        ...(droppedEvents ? { droppedEvents } : {}),
      })
      sentThisSecond = 0
      droppedEvents = 0
      if (['completed', 'failed', 'cancelled'].includes(execution.state)) this.unsubscribe(executionId)
    }, DATAFLOW_WS_LIMITS.metricsIntervalMs)
    metrics.unref()
    offs.push(() => clearInterval(metrics))
    if (portEmits) {
      let batch: PortEmit[] = []
      let dropped = 0
      offs.push(
        execution.onPortEmit((e) => {
          if (e.type !== 'port.emit') return
          if (batch.length >= DATAFLOW_WS_LIMITS.maxPortEmitsPerBatch) {
            dropped++
            return
          }
          batch.push({
            messageId: e.messageId,
            source: e.source,
            target: e.target,
            sequence: e.sequence,
            timestamp: e.timestamp,
            value: e.value,
          })
        }),
      )
      const flush = setInterval(() => {
        if (batch.length === 0 && dropped === 0) return
        this.send({ type: 'dataflow.port_emit', executionId, items: batch, dropped })
        batch = []
        dropped = 0
      }, DATAFLOW_WS_LIMITS.batchIntervalMs)
      flush.unref()
      offs.push(() => clearInterval(flush))
    }
    this.subs.set(executionId, () => {
      for (const off of offs) off()
    })
  }

  unsubscribe(executionId: string): void {
    this.subs.get(executionId)?.()
    this.subs.delete(executionId)
  }

  dispose(): void {
    for (const off of this.subs.values()) off()
    this.subs.clear()
  }
}
