import type { Command } from 'commander'
import { colorsFor } from '../colors.js'
import type { CliContext } from '../context.js'
import { ExitCode } from '../exit-codes.js'
import type { CliIo } from '../io.js'
import type { BackendReport } from '../service.js'
import { renderTable } from '../table.js'
import { serverOption } from './flags.js'
import { resolveServer, withService } from './target.js'

export type { BackendReport }

export interface BackendsOptions {
  json?: boolean
  server?: string
}

export function configureBackendsCommand(command: Command, ctx: CliContext): void {
  command
    .option('--json', 'print a JSON array')
    .addOption(serverOption())
    .action(async (opts: BackendsOptions) => {
      ctx.exitCode = await backendsCommand(opts, ctx.io)
    })
}

export async function backendsCommand(opts: BackendsOptions, io: CliIo): Promise<number> {
  // No run is touched, so the local store is in memory: listing backends never creates a database.
  const remote = resolveServer({ ...(opts.server ? { server: opts.server } : {}) }, io.env)
  const reports = await withService(io, remote ? { server: remote.url } : { store: 'memory:' }, (service) =>
    service.backends(),
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
