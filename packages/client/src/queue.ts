import {
  type PauseQueueRequest,
  type QueueHistory,
  QueueHistorySchema,
  type QueueStatus,
  QueueStatusSchema,
} from '@weft/api'
import type { Transport } from './transport.js'

interface Call {
  signal?: AbortSignal
  timeoutMs?: number
}

/** `client.queue`: where the work stands, and the durable queue flag with its history. */
export interface QueueClient {
  get(options?: Call): Promise<QueueStatus>
  /** Durable where the server's store keeps the flag: every process and worker on it stops dispatching. */
  pause(options?: Call & PauseQueueRequest): Promise<QueueStatus>
  resume(options?: Call): Promise<QueueStatus>
  /** The flag's changes, newest first. */
  history(options?: Call & { limit?: number }): Promise<QueueHistory['items']>
}

export function createQueueClient(t: Transport, call: (o?: Call) => Call): QueueClient {
  return {
    async get(o) {
      return (await t.json('getQueue', QueueStatusSchema, call(o))).data
    },
    async pause(o = {}) {
      const body = o.reason !== undefined ? { reason: o.reason } : {}
      return (await t.json('pauseQueue', QueueStatusSchema, { ...call(o), body })).data
    },
    async resume(o) {
      return (await t.json('resumeQueue', QueueStatusSchema, call(o))).data
    },
    async history(o = {}) {
      const query = o.limit !== undefined ? { limit: o.limit } : {}
      return (await t.json('getQueueHistory', QueueHistorySchema, { ...call(o), query })).data.items
    },
  }
}
