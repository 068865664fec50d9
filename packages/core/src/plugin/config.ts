import { access, readFile } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { parse as parseYaml } from 'yaml'
import { z } from 'zod'
import { ModelInfoSchema } from '@weft/spec'
import { DiagnosticsModeSchema } from '@weft/spec'
import { WeftError } from '@weft/spec'
import { JsonSchema } from '@weft/spec'
import { BudgetSpecSchema, RetryPolicySchema } from '@weft/spec'

/** An API key of the server. Prefer `keyEnv` (the key in an environment variable) to a key in the file. */
export const ApiKeyConfigSchema = z
  .strictObject({
    name: z.string().min(1),
    key: z.string().min(16, 'an API key needs at least 16 characters').optional(),
    keyEnv: z.string().min(1).optional(),
    /** `read` < `write` < `admin`: a scope includes the ones before it. */
    scopes: z.array(z.enum(['read', 'write', 'admin'])).min(1),
  })
  .refine((k) => (k.key === undefined) !== (k.keyEnv === undefined), {
    message: 'give exactly one of `key` and `keyEnv`',
  })

export const ServerConfigSchema = z.strictObject({
  host: z.string().min(1).optional(),
  port: z.number().int().min(0).max(65_535).optional(),
  /** Workflows that `POST /runs { workflowName }` can start, relative to the config file. */
  workflowsDir: z.string().min(1).optional(),
  apiKeys: z.array(ApiKeyConfigSchema).optional(),
  /** More unfinished runs than this: `POST /runs` answers 429. */
  maxQueuedRuns: z.number().int().min(1).optional(),
  maxBodyBytes: z.number().int().min(1024).optional(),
  cors: z.strictObject({ origins: z.union([z.literal('*'), z.array(z.string().min(1))]) }).optional(),
  /** How long running tasks may finish on SIGTERM before they are handed over. Default 10000. */
  shutdownGraceMs: z.number().int().min(0).optional(),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).optional(),
})
export type ServerConfig = z.infer<typeof ServerConfigSchema>

/** `weft.config.{json,yaml,yml,js,mjs}`: which plugins to load and how the runtime behaves. */
export const WeftConfigSchema = z.strictObject({
  /** Package names of plugins (backends, stores) to load. */
  plugins: z.array(z.string().min(1)).default([]),
  /** Default store location, e.g. `.weft/weft.db` or `sqlite:/var/lib/weft.db`. */
  store: z.string().optional(),
  maxParallelism: z.number().int().min(1).optional(),
  diagnostics: DiagnosticsModeSchema.optional(),
  retryDefaults: RetryPolicySchema.optional(),
  /** A budget for every run (workflows and `--budget-*` flags override it field by field). */
  budget: BudgetSpecSchema.optional(),
  /** Models to add to the price catalog, or to override (same id): priced without code. */
  models: z.array(ModelInfoSchema).default([]),
  agents: z
    .record(
      z.string(),
      z.strictObject({
        backend: z.string(),
        model: z.string().optional(),
        with: z.record(z.string(), JsonSchema).optional(),
      }),
    )
    .default({}),
  /** `weft serve` / `weft-server`: flags and `WEFT_*` environment variables win over these. */
  server: ServerConfigSchema.optional(),
})
export type WeftConfig = z.infer<typeof WeftConfigSchema>

export const CONFIG_FILE_NAMES = [
  'weft.config.json',
  'weft.config.yaml',
  'weft.config.yml',
  'weft.config.js',
  'weft.config.mjs',
]

/** Finds the config file in `dir` or its parents. */
export async function findConfigFile(dir: string): Promise<string | undefined> {
  let current = resolve(dir)
  for (;;) {
    for (const name of CONFIG_FILE_NAMES) {
      const candidate = join(current, name)
      try {
        await access(candidate)
        return candidate
      } catch {
        /* not here */
      }
    }
    const parent = dirname(current)
    if (parent === current) return undefined
    current = parent
  }
}

export async function loadConfig(file: string): Promise<WeftConfig> {
  let raw: unknown
  try {
    if (/\.(m?js)$/.test(file)) {
      const mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>
      raw = mod.config ?? mod.default
    } else {
      const text = await readFile(file, 'utf8')
      raw = file.endsWith('.json') ? JSON.parse(text) : parseYaml(text)
    }
  } catch (err) {
    throw new WeftError('config_invalid', `cannot read ${file}: ${(err as Error).message}`, { cause: err })
  }
  const parsed = WeftConfigSchema.safeParse(raw ?? {})
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!
    throw new WeftError('config_invalid', `${file}: ${issue.path.join('.') || '(root)'}: ${issue.message}`, {
      hint: `allowed keys: ${Object.keys(WeftConfigSchema.shape).join(', ')}`,
    })
  }
  return parsed.data
}
