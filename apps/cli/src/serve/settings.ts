import { isAbsolute, resolve } from 'node:path'
import { WeftError } from '@weft/core'
import type { ServerConfig } from '@weft/server/config'

export type Scope = 'read' | 'write' | 'admin'
export interface ServeKey {
  name: string
  key: string
  scopes: Scope[]
  backends?: string[]
  inlineWorkflows?: boolean
}

/** Everything `weft serve` needs, from flags, then `WEFT_*` variables, then `server:` in weft.config. */
export interface ServeSettings {
  host: string
  port: number
  keys: ServeKey[]
  workflowsDir?: string
  maxQueuedRuns?: number
  maxBodyBytes?: number
  cors?: { origins: string[] | '*' }
  graceMs: number
  logLevel: string
  /** Host names besides loopback ones ($WEFT_ALLOWED_HOSTS, comma-separated, or server.allowedHosts). */
  allowedHosts?: string[]
  /** server.policy, with shellCwdRoot resolved (default: the folder the server runs in). */
  policy: Omit<NonNullable<ServerConfig['policy']>, 'shellCwdRoot'> & { shellCwdRoot: string }
  limits?: ServerConfig['limits']
}

export interface ServeFlags {
  host?: string
  port?: number
  workflows?: string
  maxQueued?: number
  logLevel?: string
}

export const DEFAULT_PORT = 8787
const SCOPES = new Set<Scope>(['read', 'write', 'admin'])
const NEW_KEY_HINT =
  'generate one with: node -e "console.log(crypto.randomBytes(24).toString(\'base64url\'))"'

export function resolveServeSettings(input: {
  flags: ServeFlags
  env: NodeJS.ProcessEnv
  config?: ServerConfig
  /** Where the config file is (relative paths in it start there) and its name, for messages. */
  configDir: string
  configFile?: string
  cwd: string
}): ServeSettings {
  const { flags, env, config = {}, configDir, cwd } = input
  const where = input.configFile ?? 'weft.config'
  const port = flags.port ?? numberFromEnv(env, 'WEFT_PORT') ?? config.port ?? DEFAULT_PORT
  const workflowsDir = flags.workflows
    ? resolve(cwd, flags.workflows)
    : env.WEFT_WORKFLOWS_DIR
      ? resolve(cwd, env.WEFT_WORKFLOWS_DIR)
      : config.workflowsDir
        ? isAbsolute(config.workflowsDir)
          ? config.workflowsDir
          : resolve(configDir, config.workflowsDir)
        : undefined
  const maxQueuedRuns = flags.maxQueued ?? numberFromEnv(env, 'WEFT_MAX_QUEUED_RUNS') ?? config.maxQueuedRuns
  return {
    host: flags.host ?? (env.WEFT_HOST || undefined) ?? config.host ?? '127.0.0.1',
    port,
    keys: [...keysFromConfig(config, env, where), ...keysFromEnv(env)],
    ...(workflowsDir ? { workflowsDir } : {}),
    ...(maxQueuedRuns !== undefined ? { maxQueuedRuns } : {}),
    ...(config.maxBodyBytes ? { maxBodyBytes: config.maxBodyBytes } : {}),
    ...(config.cors ? { cors: config.cors } : {}),
    graceMs: config.shutdownGraceMs ?? 10_000,
    logLevel: flags.logLevel ?? (env.WEFT_LOG_LEVEL || undefined) ?? config.logLevel ?? 'info',
    ...(env.WEFT_ALLOWED_HOSTS
      ? {
          allowedHosts: env.WEFT_ALLOWED_HOSTS.split(',')
            .map((h) => h.trim())
            .filter(Boolean),
        }
      : config.allowedHosts
        ? { allowedHosts: config.allowedHosts }
        : {}),
    policy: {
      ...config.policy,
      shellCwdRoot: config.policy?.shellCwdRoot ? resolve(configDir, config.policy.shellCwdRoot) : cwd,
    },
    ...(config.limits ? { limits: config.limits } : {}),
  }
}

function numberFromEnv(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const raw = env[name]
  if (raw === undefined || raw === '') return undefined
  const n = Number(raw)
  if (!Number.isInteger(n) || n < 0)
    throw new WeftError('config_invalid', `${name}=${raw} is not a whole number`, {
      hint: `set ${name} to a number such as 8787, or unset it`,
    })
  return n
}

function keysFromConfig(config: ServerConfig, env: NodeJS.ProcessEnv, where: string): ServeKey[] {
  return (config.apiKeys ?? []).map((k, i) => {
    const key = k.key ?? env[k.keyEnv!]
    if (!key)
      throw new WeftError('config_invalid', `${where}: server.apiKeys[${i}].keyEnv: ${k.keyEnv} is not set`, {
        hint: `export ${k.keyEnv}=<a key of at least 16 characters>, or remove the key "${k.name}"`,
      })
    if (key.length < 16)
      throw new WeftError(
        'config_invalid',
        `${where}: server.apiKeys[${i}]: the key "${k.name}" is shorter than 16 characters`,
        {
          hint: NEW_KEY_HINT,
        },
      )
    return {
      name: k.name,
      key,
      scopes: k.scopes,
      ...(k.backends ? { backends: k.backends } : {}),
      ...(k.inlineWorkflows !== undefined ? { inlineWorkflows: k.inlineWorkflows } : {}),
    }
  })
}

/**
 * `WEFT_API_KEY=<key>`: one key with every scope. `WEFT_API_KEYS=name:scope+scope:key,…`: several
 * (e.g. `ci:write:…,dashboard:read:…`).
 */
function keysFromEnv(env: NodeJS.ProcessEnv): ServeKey[] {
  const keys: ServeKey[] = []
  if (env.WEFT_API_KEY) keys.push({ name: 'WEFT_API_KEY', key: env.WEFT_API_KEY, scopes: ['admin'] })
  for (const [i, entry] of (env.WEFT_API_KEYS ?? '').split(',').entries()) {
    if (entry.trim() === '') continue
    const [name, scopes, ...rest] = entry.trim().split(':')
    const key = rest.join(':')
    const parsed = (scopes ?? '').split('+').filter((s): s is Scope => SCOPES.has(s as Scope))
    if (!name || !key || parsed.length === 0 || parsed.length !== (scopes ?? '').split('+').length)
      throw new WeftError('config_invalid', `WEFT_API_KEYS entry ${i + 1} is not name:scopes:key`, {
        hint: 'e.g. WEFT_API_KEYS=ci:write:<key>,dashboard:read:<key> (scopes: read, write, admin, joined with +)',
      })
    keys.push({ name, key, scopes: parsed })
  }
  for (const k of keys) {
    if (k.key.length < 16)
      throw new WeftError('config_invalid', `the API key "${k.name}" is shorter than 16 characters`, {
        hint: NEW_KEY_HINT,
      })
  }
  return keys
}
