import { z } from 'zod'

export const BackendCapabilitiesSchema = z.object({
  streaming: z.boolean(),
  events: z.boolean(),
  cancel: z.boolean(),
  pause: z.boolean(),
  resumeSession: z.boolean(),
  usage: z.boolean(),
  tools: z.boolean(),
})

export const BackendInfoSchema = z.object({
  id: z.string(),
  label: z.string(),
  capabilities: BackendCapabilitiesSchema,
  /** From the backend's own check (CLI version, key present); no network call without a key. */
  health: z.object({
    ok: z.boolean(),
    details: z.string().optional(),
    version: z.string().optional(),
  }),
})
export type BackendInfo = z.infer<typeof BackendInfoSchema>

export const BackendListSchema = z.object({ items: z.array(BackendInfoSchema) })
export type BackendList = z.infer<typeof BackendListSchema>
