/**
 * `@weft/server/config`: the `server:` section of weft.config. It imports zod alone, so the CLI can
 * validate a config file without loading Hono, ws or prom-client.
 */
import { z } from 'zod'

const SCOPE = z.enum(['read', 'write', 'admin'])
const BACKEND_LIST = z.array(z.string().min(1))

/** An API key of the server. Prefer `keyEnv` (the key in an environment variable) to a key in the file. */
export const ApiKeyConfigSchema = z
  .strictObject({
    name: z.string().min(1),
    key: z.string().min(16, 'an API key needs at least 16 characters').optional(),
    keyEnv: z.string().min(1).optional(),
    /** `read` < `write` < `admin`: a scope includes the ones before it. */
    scopes: z.array(SCOPE).min(1),
    /** Backends runs started with this key may use. Default: the server's `policy.backends`. */
    backends: BACKEND_LIST.optional(),
    /** Whether this key may post inline workflows. Default: the server's `policy.inlineWorkflows`. */
    inlineWorkflows: z.boolean().optional(),
  })
  .refine((k) => (k.key === undefined) !== (k.keyEnv === undefined), {
    message: 'give exactly one of `key` and `keyEnv`',
  })
export type ApiKeyConfig = z.infer<typeof ApiKeyConfigSchema>

/** What remote callers may run. Each refusal is a 403 whose code names the rule. */
export const ServerPolicySchema = z.strictObject({
  /**
   * Whether `POST /runs` takes inline workflows (and `POST /runs/{id}/tasks` new tasks), or only
   * `workflowName` from the workflows folder. Default: true without API keys (local use), false
   * with them. Refusal: `inline_workflows_disabled`.
   */
  inlineWorkflows: z.boolean().optional(),
  /** Backends any run started over HTTP may use. Default: every backend. Refusal: `backend_not_allowed`. */
  backends: BACKEND_LIST.optional(),
  /**
   * Backends inline workflows (and added tasks) may use, on top of `backends`. Default: every
   * backend except `shell`: write access is not shell access. Refusal: `backend_not_allowed`.
   */
  inlineBackends: BACKEND_LIST.optional(),
  /**
   * Shell tasks run inside this folder: a `cwd` outside it (after `..` and symlinks) is refused.
   * Relative to the config file. Default: the folder the server runs in. Refusal: `cwd_not_allowed`
   * when the workflow names the folder, a failed task when a template does.
   */
  shellCwdRoot: z.string().min(1).optional(),
})
export type ServerPolicyConfig = z.infer<typeof ServerPolicySchema>

/** Bounds on one request's work. */
export const ServerLimitsSchema = z.strictObject({
  /** The workflow document (text, or the JSON of an object). Default 1 MiB. Refusal: 413 `workflow_too_large`. */
  maxWorkflowBytes: z.number().int().min(1024).optional(),
  /** Tasks in one run (a start, or a run with added tasks). Default 2000. Refusal: 413 `too_many_tasks`. */
  maxTasksPerRun: z.number().int().min(1).optional(),
})
export type ServerLimitsConfig = z.infer<typeof ServerLimitsSchema>

export const ServerConfigSchema = z.strictObject({
  host: z.string().min(1).optional(),
  port: z.number().int().min(0).max(65_535).optional(),
  /** Workflows that `POST /runs { workflowName }` can start, relative to the config file. */
  workflowsDir: z.string().min(1).optional(),
  apiKeys: z.array(ApiKeyConfigSchema).optional(),
  /**
   * Host names (with or without `:port`) the server answers besides loopback ones, e.g. the name a
   * reverse proxy forwards (`weft.example.com`). Any other `Host` header answers 403
   * `host_not_allowed`. Without API keys only loopback names and these are accepted; with keys and
   * no list, any Host is.
   */
  allowedHosts: z.array(z.string().min(1)).optional(),
  policy: ServerPolicySchema.optional(),
  limits: ServerLimitsSchema.optional(),
  /** More unfinished runs than this: `POST /runs` answers 429. */
  maxQueuedRuns: z.number().int().min(1).optional(),
  maxBodyBytes: z.number().int().min(1024).optional(),
  cors: z.strictObject({ origins: z.union([z.literal('*'), z.array(z.string().min(1))]) }).optional(),
  /** How long running tasks may finish on SIGTERM before they are handed over. Default 10000. */
  shutdownGraceMs: z.number().int().min(0).optional(),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).optional(),
})
export type ServerConfig = z.infer<typeof ServerConfigSchema>
