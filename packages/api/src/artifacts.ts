import { z } from 'zod'

/** A file a task produced, kept by the store (`ArtifactRef` of `@weft/spec`). */
export const ArtifactInfoSchema = z.object({
  runId: z.string(),
  taskId: z.string().optional(),
  /** A relative path with `/` separators, e.g. `out/report.md`. */
  name: z.string(),
  contentType: z.string().optional(),
  size: z.number().int().nonnegative(),
  createdAt: z.string(),
})
export type ArtifactInfo = z.infer<typeof ArtifactInfoSchema>

/** `GET /runs/{id}/artifacts`. */
export const ArtifactListSchema = z.object({ items: z.array(ArtifactInfoSchema) })
export type ArtifactList = z.infer<typeof ArtifactListSchema>

/** `GET /runs/{id}/artifacts/{name}`: the name URL-encoded as one segment (`out%2Freport.md`). */
export const ArtifactParamsSchema = z.object({
  id: z.string().regex(/^[A-Za-z0-9_-]{1,128}$/, 'a run id'),
  name: z.string().min(1).max(4096),
})
