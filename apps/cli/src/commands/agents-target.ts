import { dirname } from 'node:path'
import {
  type AgentDesiredState,
  type AgentEvent,
  type AgentRecord,
  type AgentStatus,
  agentStoreOf,
  loadPlugins,
  WeftError,
} from '@weft/core'
import { loadCliConfig } from '../compose.js'
import type { CliIo } from '../io.js'
import { shellQuote } from '../shell-quote.js'
import { openStore, resolveStoreLocation } from '../store.js'
import { cliPrincipal } from '../task-service.js'
import { resolveServer, serverClient, type TargetOptions } from './target.js'

/**
 * Where `weft agents …` reads and steers agents: the store's `store.agents` (a store that workers
 * share: Postgres), or a weft server's `/api/v1/agents` with `--server`. Only the store is opened:
 * no runtime, no backends, no queue worker.
 */
export interface AgentsTarget {
  kind: 'local' | 'remote'
  /** The store or server, as printed. */
  where: string
  /** `--server URL` / `--store LOCATION` when the flag chose it, for printed commands. */
  extraArgs?: string
  list(statuses?: AgentStatus[]): Promise<AgentRecord[]>
  get(name: string, events: number): Promise<{ agent: AgentRecord; events: AgentEvent[] } | undefined>
  request(
    name: string,
    desired: AgentDesiredState,
    reason?: string,
  ): Promise<{ agent: AgentRecord; changed: boolean } | undefined>
}

export async function withAgents<T>(
  io: CliIo,
  opts: TargetOptions,
  fn: (target: AgentsTarget) => Promise<T>,
): Promise<T> {
  const server = resolveServer(opts, io.env)
  if (server) {
    const { client } = serverClient(server, io.env)
    const notFound = (err: unknown) => {
      if ((err as { code?: string }).code === 'agent_not_found') return undefined
      throw err
    }
    return fn({
      kind: 'remote',
      where: client.baseUrl,
      ...(server.source === 'flag' ? { extraArgs: `--server ${shellQuote(client.baseUrl)}` } : {}),
      list: (statuses) => client.agents.list(statuses?.length ? { status: statuses.join(',') } : {}),
      get: (name, events) => client.agents.get(name, { events }).catch(notFound),
      request(name, desired, reason) {
        const o = reason !== undefined ? { reason } : {}
        const call =
          desired === 'pause'
            ? client.agents.pause(name, o)
            : desired === 'stop'
              ? client.agents.stop(name, o)
              : client.agents.resume(name, o)
        return call.catch(notFound)
      },
    })
  }
  const { config, configFile } = await loadCliConfig(io.cwd)
  const configDir = configFile ? dirname(configFile) : io.cwd
  const location = resolveStoreLocation({
    flag: opts.store,
    env: io.env,
    config: config.store,
    configDir,
    cwd: io.cwd,
  })
  const unsupported = () =>
    new WeftError(
      'store_unsupported',
      `unsupported by this store (${location.display}): agents need a store shared by workers, e.g. --store postgres://…`,
      {
        hint: 'workers and agents live in a PostgreSQL store: pass --store postgres://USER@HOST:PORT/DB (or set WEFT_STORE), or --server URL of a server on one',
      },
    )
  // Refused before opening: opening a SQLite store would create its file for nothing.
  if (location.kind === 'sqlite' || location.kind === 'fs' || location.kind === 'memory') throw unsupported()
  const store = await openStore(
    location,
    location.kind === 'plugin' ? await loadPlugins(config.plugins, configDir) : [],
  )
  try {
    const agents = agentStoreOf(store)
    if (!agents) throw unsupported()
    await store.init()
    const by = cliPrincipal(io.env)
    return await fn({
      kind: 'local',
      where: location.display,
      ...(location.source === 'flag' && location.kind === 'postgres'
        ? { extraArgs: `--store ${shellQuote(location.url)}` }
        : {}),
      list: (statuses) => agents.list(statuses?.length ? { statuses } : {}),
      async get(name, events) {
        const agent = await agents.get(name)
        if (!agent) return undefined
        return { agent, events: events > 0 ? await agents.events({ agent: name, limit: events }) : [] }
      },
      request: (name, desired, reason) =>
        agents.request(name, desired, { by, ...(reason !== undefined ? { reason } : {}) }),
    })
  } finally {
    await store.close()
  }
}

export function agentNotFound(name: string, target: AgentsTarget): WeftError {
  return new WeftError(
    'agent_not_found',
    `there is no agent '${name}' ${target.kind === 'remote' ? 'on' : 'in'} ${target.where}`,
    {
      hint: `list them with \`weft agents list${target.extraArgs ? ` ${target.extraArgs}` : ''}\`; an agent appears once \`weft worker --name ${name}\` has started`,
    },
  )
}
