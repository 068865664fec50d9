import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { API_PREFIX, type CreateScheduleRequestSchema, type ScheduleResponse } from '@weft/api'
import {
  defineSchedule,
  type Json,
  type Locator,
  parseCron,
  type Runtime,
  requireSchedules,
  type ScheduleWorkflow,
} from '@weft/core'
import type { z } from 'zod'
import { HttpError } from './errors.js'
import type { Handler } from './handlers.js'
import type { PolicyGate } from './policy.js'
import { throwIfInvalid, type WorkflowParser } from './workflow-parser.js'

export interface ScheduleHandlerDeps {
  runtime: Runtime
  parser: WorkflowParser
  policy: PolicyGate
  limits: { maxWorkflowBytes: number; maxTasksPerRun: number }
  workflowsDir?: string
}

type CreateBody = z.output<typeof CreateScheduleRequestSchema>

/**
 * `/api/v1/schedules`: list, add, show, remove the store's schedules. A schedule is checked the
 * way a start is (the server's policy, the workflow with its inputs, the cron naming a bad field)
 * before it is kept; the runs come later, from the schedule runner of `weft serve`.
 */
export function createScheduleHandlers(deps: ScheduleHandlerDeps): Record<string, Handler> {
  const { runtime } = deps
  const schedules = () => requireSchedules(runtime.store)

  async function found(id: string) {
    const schedule = await schedules().get(id)
    if (schedule) return schedule
    throw new HttpError('not_found', `there is no schedule '${id}'`, {
      hint: 'list the schedules with GET /api/v1/schedules (`weft schedules list --server URL`)',
      details: { scheduleId: id },
    })
  }

  return {
    async listSchedules({ c }) {
      return c.json({ items: await schedules().list() })
    },

    async getSchedule({ c, params }) {
      const schedule = await found(params.id!)
      const answer: ScheduleResponse = {
        schedule,
        ticks: await schedules().ticks(schedule.id, { limit: 20 }),
      }
      return c.json(answer)
    },

    async deleteSchedule({ c, params }) {
      const store = schedules()
      await found(params.id!)
      await store.remove(params.id!)
      return c.json({ id: params.id!, deleted: true as const })
    },

    async createSchedule({ c, body, principal }) {
      const b = body as CreateBody
      const inline = b.workflowName === undefined
      deps.policy.checkSource(principal, inline)
      // The cron first, as the CLI does: a typo there needs no workflow to report.
      parseCron(b.cron, b.timezone)
      const doc = await resolveWorkflow(b)
      const result = runtime.validate(doc.value, {
        ...(doc.file ? { file: doc.file } : {}),
        ...(doc.locate ? { locate: doc.locate } : {}),
        inputs: (b.inputs ?? {}) as Record<string, Json>,
      })
      throwIfInvalid(result.diagnostics, doc.file ?? 'the workflow', 'cannot be scheduled')
      deps.policy.checkTasks(principal, { workflow: doc.value, inline })
      const workflow: ScheduleWorkflow =
        b.workflowName !== undefined
          ? { name: b.workflowName.replace(/\.(ya?ml|json)$/i, '') }
          : { document: doc.value as Record<string, Json>, ...(b.source ? { source: b.source } : {}) }
      const schedule = defineSchedule({
        workflow,
        cron: b.cron,
        ...(b.timezone !== undefined ? { timezone: b.timezone } : {}),
        inputs: (b.inputs ?? {}) as Record<string, Json>,
        ...(b.missed !== undefined ? { missed: b.missed } : {}),
        ...(b.name !== undefined ? { name: b.name } : {}),
        ...(b.enabled !== undefined ? { enabled: b.enabled } : {}),
      })
      await schedules().put(schedule)
      const answer: ScheduleResponse = { schedule, ticks: [] }
      return c.json(answer, 201, {
        Location: `${API_PREFIX}/schedules/${encodeURIComponent(schedule.id)}`,
      })
    },
  }

  /** The document: from the workflows folder by name, YAML/JSON text, or an object. */
  async function resolveWorkflow(
    b: CreateBody,
  ): Promise<{ value: unknown; file?: string; locate?: Locator }> {
    const max = deps.limits.maxTasksPerRun
    if (b.workflowName !== undefined) {
      const dir = deps.workflowsDir
      if (!dir) {
        throw new HttpError(
          'workflow_not_found',
          `this server has no workflows folder, so it has no workflow '${b.workflowName}'`,
          {
            hint: 'send the workflow inline (`workflow`), or start the server with a workflows folder',
          },
        )
      }
      const candidates = /\.(ya?ml|json)$/i.test(b.workflowName)
        ? [b.workflowName]
        : [`${b.workflowName}.yaml`, `${b.workflowName}.yml`, `${b.workflowName}.json`]
      for (const file of candidates) {
        const path = join(dir, file)
        if (!existsSync(path)) continue
        const parsed = await deps.parser.parse(await readFile(path, 'utf8'), file, max)
        throwIfInvalid(parsed.diagnostics, file, 'cannot be scheduled')
        return { value: parsed.value, file, locate: parsed.locate }
      }
      throw new HttpError('workflow_not_found', `the workflows folder has no workflow '${b.workflowName}'`, {
        hint: `tried ${candidates.join(', ')}`,
      })
    }
    if (typeof b.workflow === 'string') {
      const bytes = Buffer.byteLength(b.workflow, 'utf8')
      if (bytes > deps.limits.maxWorkflowBytes) {
        throw new HttpError(
          'workflow_too_large',
          `the workflow is ${bytes} bytes; this server takes at most ${deps.limits.maxWorkflowBytes}`,
        )
      }
      const parsed = await deps.parser.parse(b.workflow, b.source, max)
      throwIfInvalid(parsed.diagnostics, b.source ?? 'the workflow text', 'cannot be scheduled')
      return { value: parsed.value, ...(b.source ? { file: b.source } : {}), locate: parsed.locate }
    }
    return { value: b.workflow }
  }
}
