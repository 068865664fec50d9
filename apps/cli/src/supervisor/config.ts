import { z } from 'zod'

/**
 * `workers:` of weft.config: what `weft agents up` starts when its flags do not say (flags win,
 * field by field). (`agents:` of the config is taken: it names task profiles.)
 *
 * ```yaml
 * store: postgres://weft@db:5432/weft
 * workers: { count: 4, namePrefix: gpu-box, concurrency: 2, memoryMb: 1024, cpus: 0-3 }
 * ```
 */
export const WorkersConfigSchema = z.strictObject({
  count: z.number().int().min(1).optional(),
  namePrefix: z.string().min(1).optional(),
  concurrency: z.number().int().min(1).optional(),
  /** Comma-separated or a list. */
  backends: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).optional(),
  leaseMs: z.number().int().min(1).optional(),
  graceMs: z.number().int().min(0).optional(),
  memoryMb: z.number().int().min(1).optional(),
  cpus: z.string().min(1).optional(),
  nice: z.number().int().min(-20).max(19).optional(),
  backoffMs: z.number().int().min(1).optional(),
  maxBackoffMs: z.number().int().min(1).optional(),
})
export type WorkersConfig = z.infer<typeof WorkersConfigSchema>
