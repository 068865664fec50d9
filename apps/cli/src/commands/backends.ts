import type { Backend, BackendCapabilities, BackendHealth } from '@weft/core'
import type { Command } from 'commander'
import { colorsFor } from '../colors.js'
import type { CliContext } from '../context.js'
import { ExitCode } from '../exit-codes.js'
import type { CliIo } from '../io.js'
import { renderTable } from '../table.js'
import { withRuntime } from './shared.js'

export interface BackendsOptions {
  json?: boolean
}

export interface BackendReport {
  id: string
  label: string
  capabilities: BackendCapabilities
  /** Absent when the backend has no healthcheck. */
  health?: BackendHealth
}

const HEALTH_TIMEOUT_MS = 5000

export function registerBackendsCommand(program: Command, ctx: CliContext): void {
  program
    .command('backends')
    .description('list the backends this runtime has (built-in and from plugins) with their health')
    .option('--json', 'print a JSON array')
    .action(async (opts: BackendsOptions) => {
      ctx.exitCode = await backendsCommand(opts, ctx.io)
    })
}

export async function backendsCommand(opts: BackendsOptions, io: CliIo): Promise<number> {
  // No run is touched, so the store is in memory: listing backends never creates a database.
  const reports = await withRuntime(io, { store: 'memory:' }, async ({ runtime }) =>
    Promise.all([...runtime.backends.values()].map(report)),
  )
  if (opts.json) {
    io.stdout.write(`${JSON.stringify(reports, null, 2)}\n`)
    return ExitCode.ok
  }
  const c = colorsFor(io.stdout, io.env)
  const rows = reports.map((r) => [
    r.id,
    r.label,
    Object.entries(r.capabilities)
      .filter(([, on]) => on)
      .map(([k]) => k)
      .join(', ') || '–',
    r.health
      ? `${r.health.ok ? '✓ ok' : '✗ not ready'}${r.health.version ? ` ${r.health.version}` : ''}${r.health.details ? ` (${r.health.details})` : ''}`
      : '– no healthcheck',
  ])
  io.stdout.write(
    `${renderTable(
      ['ID', 'LABEL', 'CAPABILITIES', 'HEALTH'],
      rows,
      (col, cell, row) =>
        col === 3
          ? reports[row]!.health
            ? reports[row]!.health!.ok
              ? c.green(cell)
              : c.red(cell)
            : c.dim(cell)
          : col === 0
            ? c.bold(cell)
            : cell,
      c.bold,
    )}\n`,
  )
  return ExitCode.ok
}

/** A healthcheck that throws or hangs is reported as unhealthy, not as a crash of the command. */
async function report(b: Backend): Promise<BackendReport> {
  const base = { id: b.id, label: b.label, capabilities: b.capabilities }
  if (!b.healthcheck) return base
  let timer: NodeJS.Timeout | undefined
  try {
    const health = await Promise.race([
      b.healthcheck(),
      new Promise<BackendHealth>((resolve) => {
        timer = setTimeout(
          () => resolve({ ok: false, details: `no answer within ${HEALTH_TIMEOUT_MS} ms` }),
          HEALTH_TIMEOUT_MS,
        )
      }),
    ])
    return { ...base, health }
  } catch (err) {
    return { ...base, health: { ok: false, details: (err as Error).message } }
  } finally {
    if (timer) clearTimeout(timer)
  }
}
