import { createClient, type WeftClient } from '@weft/client'
import { type RunSummary, WeftError } from '@weft/core'
import { type CliRuntime, type CliRuntimeOptions, createCliRuntime } from '../compose.js'
import type { CliIo } from '../io.js'
import { createLocalService } from '../local-service.js'
import { createRemoteService } from '../remote-service.js'
import type { RunService } from '../service.js'
import { shellQuote } from '../shell-quote.js'
import type { StoreLocation } from '../store.js'

// Where a command acts: the local runtime and store, or a weft server (`--server`).

/** The options that choose where runs are. */
export interface TargetOptions {
  store?: string
  server?: string
}

export interface ServerTarget {
  url: string
  source: 'flag' | 'env'
}

/**
 * Where a command acts, first match wins: `--server`, then `--store` (local), then `WEFT_SERVER`,
 * then the local store. Both flags at once is a mistake, not a preference.
 */
export function resolveServer(opts: TargetOptions, env: NodeJS.ProcessEnv): ServerTarget | undefined {
  if (opts.server && opts.store) {
    throw new WeftError('input_invalid', '--server and --store cannot be used together', {
      hint: 'runs are either on a server (--server URL) or in a local store (--store PATH)',
    })
  }
  if (opts.server) return { url: opts.server, source: 'flag' }
  if (opts.store) return undefined
  const url = env.WEFT_SERVER?.trim()
  return url ? { url, source: 'env' } : undefined
}

/**
 * The client of the server a command targets, with the API key of `WEFT_API_KEY`, and the
 * `--server URL` words that repeat the target in printed next steps (none when it came from
 * `WEFT_SERVER`, which the next command reads too). A URL the client refuses is `input_invalid`.
 */
export function serverClient(
  server: ServerTarget,
  env: NodeJS.ProcessEnv,
): { client: WeftClient; serverArgs: string | undefined } {
  let client: WeftClient
  try {
    client = createClient({
      baseUrl: server.url,
      ...(env.WEFT_API_KEY ? { apiKey: env.WEFT_API_KEY } : {}),
    })
  } catch (err) {
    throw new WeftError(
      'input_invalid',
      `${server.source === 'flag' ? '--server' : 'WEFT_SERVER'}: ${(err as Error).message}`,
      { hint: 'give the server’s URL, e.g. --server http://127.0.0.1:8787' },
    )
  }
  return {
    client,
    serverArgs: server.source === 'flag' ? `--server ${shellQuote(client.baseUrl)}` : undefined,
  }
}

/** For commands the HTTP API has no operation for: exit 2 with a clear message. */
export function refuseRemote(opts: TargetOptions, io: CliIo, command: string): void {
  const server = resolveServer(opts, io.env)
  if (!server) return
  throw new WeftError(
    'input_invalid',
    `\`weft ${command}\` is not available with --server${server.source === 'env' ? ' (WEFT_SERVER is set)' : ''}: the weft API has no such operation`,
    {
      hint:
        server.source === 'env'
          ? `run it where the runs' store is, with --store PATH (or unset WEFT_SERVER)`
          : `run it where the runs' store is, with --store PATH`,
    },
  )
}

/**
 * Opens where the command acts (a server with `--server` / `WEFT_SERVER`, else the local runtime
 * and store) for one command, and always closes it.
 */
export async function withService<T>(
  io: CliIo,
  options: TargetOptions & Omit<CliRuntimeOptions, 'cwd' | 'env' | 'reporter' | 'store'>,
  fn: (service: RunService) => Promise<T>,
): Promise<T> {
  const server = resolveServer(options, io.env)
  if (!server) {
    const { server: _server, ...local } = options
    return withRuntime(io, local, (cli) =>
      fn(createLocalService(cli.runtime, storeArgs(cli.store), cli.store.kind === 'postgres')),
    )
  }
  const { client, serverArgs } = serverClient(server, io.env)
  const service = createRemoteService(client, serverArgs)
  try {
    return await fn(service)
  } finally {
    await service.close()
  }
}

/** Opens the runtime for one command and always closes it, so SQLite is closed before exit. */
export async function withRuntime<T>(
  io: CliIo,
  options: Omit<CliRuntimeOptions, 'cwd' | 'env' | 'reporter'>,
  fn: (cli: CliRuntime) => Promise<T>,
): Promise<T> {
  const cli = await createCliRuntime({
    ...options,
    cwd: io.cwd,
    env: io.env,
    reporter: { warn: (message) => io.stderr.write(`warning: ${message}\n`) },
  })
  try {
    return await fn(cli)
  } finally {
    await cli.runtime.close()
  }
}

/** Printed resume commands must name the store when it came from `--store` (the env var persists). */
export function storeArgs(location: StoreLocation): string | undefined {
  if (location.source !== 'flag' || location.kind === 'memory') return undefined
  const value =
    location.kind === 'sqlite'
      ? location.path
      : location.kind === 'fs'
        ? `fs:${location.path}`
        : location.kind === 'postgres'
          ? location.url
          : location.location
  return `--store ${shellQuote(value)}`
}

export async function requireRun(
  service: Pick<RunService, 'get'> & Partial<Pick<RunService, 'where' | 'extraArgs' | 'kind'>>,
  runId: string,
): Promise<RunSummary> {
  const run = await service.get(runId)
  if (!run) {
    const remote = service.kind === 'remote'
    const extra = service.extraArgs ? ` ${service.extraArgs}` : ''
    throw new WeftError(
      'run_not_found',
      `there is no run '${runId}' ${remote ? 'on' : 'in'} ${service.where ?? 'this store'}`,
      {
        hint: remote
          ? `list runs with \`weft runs list${extra}\``
          : 'list runs with `weft runs list` (and check --store / WEFT_STORE)',
      },
    )
  }
  return run
}
