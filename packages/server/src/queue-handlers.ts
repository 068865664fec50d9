/**
 * `/api/v1/queue`: where the work stands, and the durable queue flag. Pausing writes the flag in
 * the store (where the store keeps one), so every process and `weft worker` sharing it stops
 * starting attempts; the change is recorded with the API key's name and the reason.
 */
import type { QueueHistory, QueueHistoryQuerySchema, QueueStatus } from '@weft/api'
import type { Runtime } from '@weft/core'
import type { z } from 'zod'
import type { Handler } from './handlers.js'
import type { Logger } from './logger.js'

export interface QueueHandlerDeps {
  runtime: Runtime
  logger: Logger
  maxQueuedRuns?: number
}

export function createQueueHandlers({
  runtime,
  logger,
  maxQueuedRuns,
}: QueueHandlerDeps): Record<string, Handler> {
  const queueStatus = async (): Promise<QueueStatus> => {
    const q = await runtime.queueStatus()
    return {
      paused: q.paused,
      ...(q.reason !== undefined ? { reason: q.reason } : {}),
      ...(q.by !== undefined ? { by: q.by } : {}),
      ...(q.changedAt !== undefined ? { changedAt: q.changedAt } : {}),
      durable: q.durable,
      size: q.activeRuns,
      maxSize: maxQueuedRuns ?? null,
      runs: {
        pending: q.runs.pending ?? 0,
        running: q.runs.running ?? 0,
        paused: q.runs.paused ?? 0,
        canceling: q.runs.canceling ?? 0,
        completed: q.runs.succeeded ?? 0,
        failed: q.runs.failed ?? 0,
        canceled: q.runs.canceled ?? 0,
      },
      tasks: { running: q.runningTasks, queued: q.queuedTasks, capacity: q.capacity },
    }
  }

  return {
    async getQueue({ c }) {
      return c.json(await queueStatus())
    },

    async pauseQueue({ c, body, principal }) {
      const reason = (body as { reason?: string } | undefined)?.reason
      await runtime.pauseQueue({ by: principal.name, ...(reason !== undefined ? { reason } : {}) })
      logger.info({ key: principal.name, reason }, 'queue paused')
      return c.json(await queueStatus())
    },

    async resumeQueue({ c, principal }) {
      await runtime.resumeQueue({ by: principal.name })
      logger.info({ key: principal.name }, 'queue resumed')
      return c.json(await queueStatus())
    },

    async getQueueHistory({ c, query }) {
      const q = query as z.output<typeof QueueHistoryQuerySchema>
      const answer: QueueHistory = { items: await runtime.queueHistory({ limit: q.limit }) }
      return c.json(answer)
    },
  }
}
