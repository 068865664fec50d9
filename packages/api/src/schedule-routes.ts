import type { z } from 'zod'
import type { ApiResponse, ApiRoute } from './routes.js'
import {
  CreateScheduleRequestSchema,
  DeleteScheduleResponseSchema,
  ScheduleIdParamSchema,
  ScheduleListSchema,
  ScheduleResponseSchema,
} from './schedules.js'

// The literal, not API_PREFIX: routes.ts imports this module, and a value import back would be a cycle.
const P = '/api/v1/schedules'
const json = (description: string, schema: z.ZodType): ApiResponse => ({ description, schema })

/** Cron schedules kept in the store (issue 15 item 3), part of `API_ROUTES`. */
export const SCHEDULE_ROUTES: readonly ApiRoute[] = [
  {
    method: 'get',
    path: P,
    operationId: 'listSchedules',
    summary: 'Schedules in the store, oldest first (added ones and those folder workflows declare)',
    scope: 'read',
    responses: { 200: json('The schedules', ScheduleListSchema) },
  },
  {
    method: 'post',
    path: P,
    operationId: 'createSchedule',
    summary:
      'Add a cron schedule of a workflow (inline or from the workflows folder); a bad cron answers 400 naming the field',
    scope: 'write',
    body: CreateScheduleRequestSchema,
    responses: { 201: json('The schedule; `Location` points at it', ScheduleResponseSchema) },
  },
  {
    method: 'get',
    path: `${P}/{id}`,
    operationId: 'getSchedule',
    summary: 'A schedule with its latest claimed ticks and the runs they started',
    scope: 'read',
    params: ScheduleIdParamSchema,
    responses: { 200: json('The schedule', ScheduleResponseSchema) },
  },
  {
    method: 'delete',
    path: `${P}/{id}`,
    operationId: 'deleteSchedule',
    summary: 'Remove a schedule (its runs stay)',
    scope: 'write',
    params: ScheduleIdParamSchema,
    responses: { 200: json('Removed', DeleteScheduleResponseSchema) },
  },
]
