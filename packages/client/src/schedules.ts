import {
  type CreateScheduleRequest,
  DeleteScheduleResponseSchema,
  ScheduleListSchema,
  type ScheduleResponse,
  ScheduleResponseSchema,
} from '@weft/api'
import type { Schedule } from '@weft/core/contracts'
import type { Transport } from './transport.js'

interface Call {
  signal?: AbortSignal
  timeoutMs?: number
}

/** `client.schedules`: the server store's cron schedules (`/api/v1/schedules`). */
export interface SchedulesClient {
  /** Oldest first: added ones and those the server's folder workflows declare. */
  list(options?: Call): Promise<Schedule[]>
  /** `POST /schedules` → 201. A bad cron is a 400 `input_invalid` that names the field. */
  create(body: CreateScheduleRequest, options?: Call): Promise<Schedule>
  /** The schedule and its latest claimed ticks (with the runs they started). */
  get(id: string, options?: Call): Promise<ScheduleResponse>
  /** Removes it (its runs stay); an unknown id is a 404 `not_found`. */
  remove(id: string, options?: Call): Promise<void>
}

export function createSchedulesClient(t: Transport, call: (o?: Call) => Call): SchedulesClient {
  return {
    async list(o) {
      return (await t.json('listSchedules', ScheduleListSchema, call(o))).data.items
    },
    async create(body, o) {
      return (await t.json('createSchedule', ScheduleResponseSchema, { ...call(o), body })).data.schedule
    },
    async get(id, o) {
      return (await t.json('getSchedule', ScheduleResponseSchema, { ...call(o), params: { id } })).data
    },
    async remove(id, o) {
      await t.json('deleteSchedule', DeleteScheduleResponseSchema, { ...call(o), params: { id } })
    },
  }
}
