import { dirname } from 'node:path'
import { createMockBackend } from '@weft/backend-mock'
import { createShellBackend } from '@weft/backend-shell'
import { createContextPipeline } from '@weft/context'
import {
  type Backend,
  createRuntime,
  type DiagnosticsMode,
  loadPlugins,
  type Runtime,
  type Store,
  type WeftPlugin,
} from '@weft/core'
import { createCostModel } from '@weft/cost'
import { findConfigFile, loadConfig } from './config/load-config.js'
import { type WeftConfig, WeftConfigSchema } from './config/weft-config.js'
import { loadOfficialBackends } from './official-backends.js'
import { sharedQueue } from './shared-queue.js'
import { openStore, resolveStoreLocation, type StoreLocation } from './store.js'
import { loadTraceSinks } from './tracing.js'

export interface CliRuntimeOptions {
  /** Where to look for weft.config.* (upward) and where relative paths start. Default: `process.cwd()`. */
  cwd?: string
  /** For `WEFT_STORE`. Default: `process.env`. */
  env?: NodeJS.ProcessEnv
  /** A store location that wins over everything else (`--store`). */
  store?: string
  /** Raises the runtime-wide cap when the config file does not set one (e.g. `--max-parallel 32`). */
  maxParallelism?: number
  /** Overrides the config's `diagnostics` (e.g. `--strict`). */
  diagnostics?: DiagnosticsMode
  /** Backends besides the built-in `mock` and `shell` and the plugins' (an embedding app's own). */
  backends?: Backend[]
  /** Wraps the opened store before the runtime uses it (e.g. the server's commit-latency metrics). */
  wrapStore?: (store: Store) => Store
  /** Where runtime warnings go. Default: stderr as `warning: …`. */
  reporter?: { warn(message: string, context?: unknown): void }
  /** Where `uses: <name>` finds subworkflows (the server's workflows folder). */
  workflowsDir?: string
  /**
   * On a Postgres store: whether this process also works the attempts of its own runs (default
   * true). `weft worker` says false and runs a worker of its own that claims every run's attempts.
   */
  queueWorker?: boolean
}

export interface CliRuntime {
  runtime: Runtime
  config: WeftConfig
  configFile?: string
  plugins: WeftPlugin[]
  store: StoreLocation
}

/** The config file found from `cwd` upward (or the defaults when there is none). */
export async function loadCliConfig(cwd: string): Promise<{ config: WeftConfig; configFile?: string }> {
  const configFile = await findConfigFile(cwd)
  if (!configFile) return { config: WeftConfigSchema.parse({}) }
  return { config: await loadConfig(configFile), configFile }
}

/**
 * The runtime the `weft` command uses, composed the way a user would compose their own: the
 * built-in mock and shell backends, the plugins that weft.config names, the store chosen by
 * `--store` / `WEFT_STORE` / config / default, and the config's policies.
 */
export async function createCliRuntime(options: CliRuntimeOptions = {}): Promise<CliRuntime> {
  const cwd = options.cwd ?? process.cwd()
  const env = options.env ?? process.env
  const { config, configFile } = await loadCliConfig(cwd)
  const configDir = configFile ? dirname(configFile) : cwd
  const configured = await loadPlugins(config.plugins, configDir)
  // Configured plugins come last so that they win over an official backend of the same id.
  const plugins = [...(await loadOfficialBackends()), ...configured]
  const location = resolveStoreLocation({ flag: options.store, env, config: config.store, configDir, cwd })
  const opened = await openStore(location, plugins)
  // On Postgres, attempts go through the shared task queue: `weft worker`s anywhere may run them.
  const queue =
    location.kind === 'postgres' ? await sharedQueue(opened, env, options.queueWorker ?? true) : undefined
  const store = options.wrapStore ? options.wrapStore(opened) : opened
  const reporter = options.reporter ?? {
    warn: (message: string) => process.stderr.write(`warning: ${message}\n`),
  }
  const runtimeCap =
    config.maxParallelism ??
    (options.maxParallelism && options.maxParallelism > 16 ? options.maxParallelism : undefined) ??
    // Attempts in the shared queue use no slot of this process: the workers' capacity is the limit.
    (queue ? 256 : undefined)
  // Prices (the built-in catalog plus the config's `models:`) and the context pipeline: every run
  // of the CLI gets token and cost totals, budgets checked before each task, and compaction.
  const cost = createCostModel({ models: config.models, source: configFile ?? 'weft.config' })
  const traceSinks = await loadTraceSinks(config, env, configDir)
  const runtime = createRuntime({
    store,
    cost,
    context: createContextPipeline(),
    ...(config.budget ? { budget: config.budget } : {}),
    // Built-ins come last so that a plugin cannot silently replace `mock` or `shell`.
    plugins,
    backends: [createMockBackend(), createShellBackend(), ...(options.backends ?? [])],
    agents: config.agents,
    ...(runtimeCap !== undefined ? { maxParallelism: runtimeCap } : {}),
    ...((options.diagnostics ?? config.diagnostics)
      ? { diagnostics: options.diagnostics ?? config.diagnostics }
      : {}),
    ...(config.retryDefaults ? { retryDefaults: config.retryDefaults } : {}),
    workDir: cwd,
    ...(options.workflowsDir ? { workflowsDir: options.workflowsDir } : {}),
    reporter,
    ...(traceSinks.length ? { traceSink: traceSinks } : {}),
    ...(leaseTtlFrom(env) ? { leaseTtlMs: leaseTtlFrom(env) } : {}),
    ...(queue ? { owner: queue.owner, executor: queue.executor } : {}),
  })
  queue?.attach(runtime, cwd)
  return { runtime, config, ...(configFile ? { configFile } : {}), plugins, store: location }
}

/**
 * `WEFT_LEASE_TTL_MS`: how long a run stays owned by a process that stopped renewing its lease
 * (default 15 s). Lower it where crashes are expected to be recovered quickly (tests, CI).
 */
export function leaseTtlFrom(env: NodeJS.ProcessEnv): number | undefined {
  const raw = env.WEFT_LEASE_TTL_MS
  if (raw === undefined || raw === '') return undefined
  const n = Number(raw)
  return Number.isInteger(n) && n >= 50 ? n : undefined
}
