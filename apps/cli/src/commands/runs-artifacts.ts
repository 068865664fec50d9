import { writeFile } from 'node:fs/promises'
import { basename, resolve } from 'node:path'
import { WeftError } from '@weft/core'
import type { Command } from 'commander'
import { colorsFor } from '../colors.js'
import type { CliContext } from '../context.js'
import { ExitCode } from '../exit-codes.js'
import { formatDateTime } from '../format.js'
import type { CliIo } from '../io.js'
import { serverOption, storeOption } from './flags.js'
import { requireRun, withService } from './target.js'

export interface RunsArtifactsOptions {
  get?: string
  out?: string
  json?: boolean
  store?: string
  server?: string
}

export function configureRunsArtifactsCommand(command: Command, ctx: CliContext): void {
  command
    .option('--get <name>', 'download this artifact (to --out, default: its file name here)')
    .option('--out <file>', "where --get writes ('-' for stdout)")
    .option('--json', 'print the list as JSON')
    .addOption(storeOption())
    .addOption(serverOption())
    .action(async (runId: string, opts: RunsArtifactsOptions) => {
      ctx.exitCode = await runsArtifactsCommand(runId, opts, ctx.io)
    })
}

/** Lists a run's artifacts, or writes one of them to a file (or stdout). */
export async function runsArtifactsCommand(
  runId: string,
  opts: RunsArtifactsOptions,
  io: CliIo,
): Promise<number> {
  if (opts.out !== undefined && opts.get === undefined) {
    throw new WeftError('input_invalid', '--out needs --get <name>', {
      hint: `weft runs artifacts ${runId} --get <name> --out <file>`,
    })
  }
  return withService(io, opts, async (service) => {
    await requireRun(service, runId)
    if (opts.get !== undefined) {
      const found = await service.artifact(runId, opts.get)
      if (!found) {
        throw new WeftError('input_invalid', `run ${runId} has no artifact '${opts.get}'`, {
          hint: `list them with: weft runs artifacts ${runId}`,
        })
      }
      if (opts.out === '-') {
        ;(io.stdout as unknown as { write(b: Uint8Array): boolean }).write(found.data)
        return ExitCode.ok
      }
      const file = resolve(io.cwd, opts.out ?? basename(opts.get))
      await writeFile(file, found.data)
      io.stderr.write(`wrote ${opts.get} (${found.data.byteLength} bytes) to ${file}\n`)
      return ExitCode.ok
    }
    const items = await service.artifacts(runId)
    if (opts.json) {
      io.stdout.write(`${JSON.stringify(items, null, 2)}\n`)
      return ExitCode.ok
    }
    if (items.length === 0) {
      io.stdout.write(`run ${runId} has no artifacts\n`)
      return ExitCode.ok
    }
    const c = colorsFor(io.stdout, io.env)
    const width = Math.max(4, ...items.map((a) => a.name.length))
    io.stdout.write(
      `${c.dim(`${'name'.padEnd(width)}  ${'task'.padEnd(12)}  ${'bytes'.padStart(9)}  created`)}\n`,
    )
    for (const a of items) {
      io.stdout.write(
        `${a.name.padEnd(width)}  ${(a.taskId ?? '-').padEnd(12)}  ${String(a.size).padStart(9)}  ${formatDateTime(a.createdAt)}\n`,
      )
    }
    return ExitCode.ok
  })
}
