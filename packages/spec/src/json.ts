import { z } from 'zod'

/** Any JSON value: what task outputs, inputs and event data are made of. */
export type Json = string | number | boolean | null | Json[] | { [key: string]: Json }

export const JsonSchema: z.ZodType<Json> = z.lazy(() =>
  z.union([
    z.string(),
    z.number(),
    z.boolean(),
    z.null(),
    z.array(JsonSchema),
    z.record(z.string(), JsonSchema),
  ]),
)

export const JsonObjectSchema = z.record(z.string(), JsonSchema)
export type JsonObject = { [key: string]: Json }
