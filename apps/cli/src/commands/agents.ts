import { setTimeout as sleep } from 'node:timers/promises'
import {
  AGENT_STATUSES,
  type AgentDesiredState,
  type AgentEvent,
  type AgentRecord,
  type AgentStatus,
  WeftError,
} from '@weft/core'
import type { Command } from 'commander'
import { type Colors, colorsFor } from '../colors.js'
import type { CliContext } from '../context.js'
import { ExitCode } from '../exit-codes.js'
import { elapsedMs, formatClock, formatDateTime, formatDuration } from '../format.js'
import type { CliIo } from '../io.js'
import { renderTable } from '../table.js'
import { type AgentsTarget, agentNotFound, withAgents } from './agents-target.js'
import { collect, nonNegativeInt, serverOption, storeOption } from './flags.js'

// `weft agents list|show|pause|resume|stop`: the `weft worker` processes sharing a store.

interface TargetFlags {
  store?: string
  server?: string
}

export function configureAgentsListCommand(command: Command, ctx: CliContext): void {
  command
    .option(
      '-s, --status <status>',
      `only agents with this status (repeatable or comma-separated: ${AGENT_STATUSES.join(', ')})`,
      collect,
      [],
    )
    .option('--json', 'print a JSON array of agents')
    .addOption(storeOption())
    .addOption(serverOption())
    .action(async (opts: TargetFlags & { status: string[]; json?: boolean }) => {
      ctx.exitCode = await agentsListCommand(opts, ctx.io)
    })
}

export async function agentsListCommand(
  opts: TargetFlags & { status?: string[]; json?: boolean },
  io: CliIo,
): Promise<number> {
  const statuses = parseStatuses(opts.status ?? [])
  return withAgents(io, opts, async (target) => {
    const agents = await target.list(statuses)
    if (opts.json) {
      io.stdout.write(`${JSON.stringify(agents, null, 2)}\n`)
      return ExitCode.ok
    }
    const c = colorsFor(io.stdout, io.env)
    if (agents.length === 0) {
      io.stdout.write(
        `${c.dim(statuses.length ? `no ${statuses.join('/')} agents` : `no agents yet — start one with \`weft worker --store …\` or \`weft agents up --count N --store …\``)}\n`,
      )
      return ExitCode.ok
    }
    const now = Date.now()
    const rows = agents.map((a) => [
      a.name,
      a.status,
      a.desired === 'run' ? '' : a.desired,
      `${a.running}/${a.capacity}`,
      a.backends.join(','),
      String(a.completed),
      String(a.failed),
      `${formatDuration(elapsedMs(a.heartbeatAt, undefined, now))} ago`,
      `${a.host}:${a.pid}`,
    ])
    io.stdout.write(
      `${renderTable(
        ['NAME', 'STATUS', 'ASKED', 'BUSY', 'BACKENDS', 'DONE', 'FAILED', 'HEARTBEAT', 'PROCESS'],
        rows,
        (col, cell, row) =>
          col === 1 ? statusColor(c, agents[row]!.status)(cell) : col === 2 ? c.yellow(cell) : cell,
        c.bold,
      )}\n`,
    )
    return ExitCode.ok
  })
}

export function configureAgentsShowCommand(command: Command, ctx: CliContext): void {
  command
    .option('-n, --events <n>', 'how many recent agent.* events to print', nonNegativeInt, 20)
    .option('--json', 'print the agent and its events as JSON')
    .addOption(storeOption())
    .addOption(serverOption())
    .action(async (name: string, opts: TargetFlags & { events: number; json?: boolean }) => {
      ctx.exitCode = await agentsShowCommand(name, opts, ctx.io)
    })
}

export async function agentsShowCommand(
  name: string,
  opts: TargetFlags & { events?: number; json?: boolean },
  io: CliIo,
): Promise<number> {
  return withAgents(io, opts, async (target) => {
    const found = await target.get(name, opts.events ?? 20)
    if (!found) throw agentNotFound(name, target)
    if (opts.json) {
      io.stdout.write(`${JSON.stringify(found, null, 2)}\n`)
      return ExitCode.ok
    }
    const c = colorsFor(io.stdout, io.env)
    io.stdout.write(`${formatAgent(found.agent, c)}\n`)
    if (found.events.length) {
      io.stdout.write(`\n${c.bold('recent events')} ${c.dim('(newest last)')}\n`)
      for (const e of [...found.events].reverse()) io.stdout.write(`  ${formatEvent(e, c)}\n`)
    }
    return ExitCode.ok
  })
}

function formatAgent(a: AgentRecord, c: Colors): string {
  const lines = [
    `${c.bold(a.name)}  ${statusColor(c, a.status)(a.status)}${a.desired !== 'run' ? c.yellow(`  (${a.desired} requested${a.desiredBy ? ` by ${a.desiredBy}` : ''}${a.desiredReason ? `: ${a.desiredReason}` : ''})`) : ''}`,
    `  process     ${a.host} pid ${a.pid}, started ${formatDateTime(a.startedAt)}`,
    `  heartbeat   ${formatDateTime(a.heartbeatAt)} (${formatDuration(elapsedMs(a.heartbeatAt))} ago), expires ${formatDateTime(a.expiresAt)}`,
    `  capacity    ${a.running}/${a.capacity} busy, backends ${a.backends.join(', ') || '–'}`,
    `  counts      ${a.completed} succeeded, ${a.failed} failed, ${a.rejected} rejected (lease lost)`,
  ]
  if (a.current.length) {
    lines.push('  running')
    for (const t of a.current) lines.push(`    ${t.runId} ${t.taskId} (attempt ${t.attempt})`)
  }
  return lines.join('\n')
}

function formatEvent(e: AgentEvent, c: Colors): string {
  const extra = [e.reason, e.by ? `by ${e.by}` : undefined, e.data ? dataText(e) : undefined].filter(Boolean)
  return `${c.dim(formatClock(e.ts))} ${e.type.padEnd(22)} ${extra.join(' · ')}`.trimEnd()
}

function dataText(e: AgentEvent): string | undefined {
  const d = e.data!
  if (e.type === 'agent.registered') return `on ${d.host} pid ${d.pid}, capacity ${d.capacity}`
  if (typeof d.from === 'string') return `${d.from} → ${d.to}`
  if (typeof d.status === 'string') return `was ${d.status} on ${d.host} pid ${d.pid}`
  return undefined
}

const CONTROLS = {
  pause: {
    desired: 'pause',
    done: (a: AgentRecord) => a.status === 'paused' || gone(a),
    said: '⏸ agent {name} paused: it claims nothing, its running attempts were handed back to the queue',
  },
  resume: {
    desired: 'run',
    done: (a: AgentRecord) => a.status !== 'paused' && a.status !== 'starting',
    said: '▶ agent {name} resumed: it claims work again',
  },
  stop: {
    desired: 'stop',
    done: (a: AgentRecord) => gone(a),
    said: '■ agent {name} stopped',
  },
} as const satisfies Record<
  string,
  { desired: AgentDesiredState; done(a: AgentRecord): boolean; said: string }
>

const gone = (a: AgentRecord) => a.status === 'stopped' || a.status === 'failed'

export type AgentControl = keyof typeof CONTROLS

export function configureAgentControlCommand(action: AgentControl) {
  return (command: Command, ctx: CliContext): void => {
    command
      .option('--reason <text>', 'why (kept in the agent log)')
      .option(
        '--timeout <s>',
        `how long to wait for the agent to confirm (default ${action === 'stop' ? 60 : 15}; 0: do not wait)`,
        nonNegativeInt,
      )
      .addOption(storeOption())
      .addOption(serverOption())
      .action(async (name: string, opts: TargetFlags & { reason?: string; timeout?: number }) => {
        ctx.exitCode = await agentControlCommand(action, name, opts, ctx.io)
      })
  }
}

/**
 * Stores what is asked of the agent, then waits until its record shows it (the agent reads the
 * request with its heartbeat, or at once through NOTIFY). Exit 0 once confirmed, 1 if not within
 * `--timeout` (the request stays: the agent applies it when it next hears from the store).
 */
export async function agentControlCommand(
  action: AgentControl,
  name: string,
  opts: TargetFlags & { reason?: string; timeout?: number },
  io: CliIo,
): Promise<number> {
  const control = CONTROLS[action]
  return withAgents(io, opts, async (target) => {
    const c = colorsFor(io.stdout, io.env)
    const answer = await target.request(name, control.desired, opts.reason)
    if (!answer) throw agentNotFound(name, target)
    const timeoutMs = (opts.timeout ?? (action === 'stop' ? 60 : 15)) * 1000
    const agent = control.done(answer.agent)
      ? answer.agent
      : await awaitAgent(target, name, control.done, timeoutMs)
    if (!agent || !control.done(agent)) {
      io.stdout.write(
        `${c.yellow(`${action} requested; agent ${name} is still ${(agent ?? answer.agent).status}`)}${timeoutMs ? '' : ' (not waiting)'}. It applies it with its next heartbeat: check with \`weft agents show ${name}${target.extraArgs ? ` ${target.extraArgs}` : ''}\`.\n`,
      )
      return timeoutMs ? ExitCode.failed : ExitCode.ok
    }
    const said =
      gone(agent) && action !== 'stop'
        ? `agent {name} is ${agent.status}: ${action === 'pause' ? 'it comes up paused when started again' : 'its pause is cleared for when it starts again'}`
        : action === 'stop' && agent.status === 'failed'
          ? 'agent {name} is not running (failed: no heartbeat before its record expired): nothing to stop'
          : control.said
    // "Already asked" says something only of an agent that is there to apply it.
    const already = answer.changed || gone(agent) ? '' : c.dim(' (it already was asked to)')
    io.stdout.write(`${said.replace('{name}', name)}${already}\n`)
    if (action === 'pause' && !gone(agent))
      io.stdout.write(
        `to resume: weft agents resume ${name}${target.extraArgs ? ` ${target.extraArgs}` : ''}\n`,
      )
    return ExitCode.ok
  })
}

async function awaitAgent(
  target: AgentsTarget,
  name: string,
  done: (a: AgentRecord) => boolean,
  timeoutMs: number,
): Promise<AgentRecord | undefined> {
  const until = Date.now() + timeoutMs
  let last: AgentRecord | undefined
  while (Date.now() < until) {
    await sleep(Math.min(200, Math.max(0, until - Date.now())))
    last = (await target.get(name, 0))?.agent
    if (!last || done(last)) return last
  }
  return last
}

function statusColor(c: Colors, status: AgentStatus): (s: string) => string {
  switch (status) {
    case 'busy':
      return c.cyan
    case 'idle':
      return c.green
    case 'failed':
      return c.red
    case 'paused':
    case 'draining':
      return c.yellow
    default:
      return c.dim
  }
}

function parseStatuses(values: string[]): AgentStatus[] {
  const out: AgentStatus[] = []
  for (const s of values
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter(Boolean)) {
    if (!(AGENT_STATUSES as readonly string[]).includes(s))
      throw new WeftError('input_invalid', `--status '${s}' is not an agent status`, {
        hint: `use one of: ${AGENT_STATUSES.join(', ')}`,
      })
    out.push(s as AgentStatus)
  }
  return out
}
