import { readFile } from 'node:fs/promises'
import { isAbsolute, resolve } from 'node:path'
import type { WeftClient } from '@weft/client'
import { dataflowStoreOf, WeftError } from '@weft/core'
import type { ExecutionMetrics } from '@weft/dataflow'
import type { Command } from 'commander'
import { colorsFor } from '../colors.js'
import type { CliContext } from '../context.js'
import { metricsTable } from '../dataflow/live.js'
import { ExitCode } from '../exit-codes.js'
import { formatDateTime } from '../format.js'
import type { CliIo } from '../io.js'
import { renderTable } from '../table.js'
import { serverOption, storeOption } from './flags.js'
import { resolveServer, serverClient, withRuntime } from './target.js'

// `weft dataflow list|status|pause|resume|stop|inject`: executions running in a weft server
// (`--server` / WEFT_SERVER), and for list/status also those kept in the local store.

type DataflowExecution = Awaited<ReturnType<WeftClient['dataflow']['executions']['get']>>

interface TargetOpts {
  server?: string
  store?: string
  json?: boolean
}

function clientFor(opts: TargetOpts, io: CliIo): WeftClient | undefined {
  const server = resolveServer(opts, io.env)
  if (!server) return undefined
  return serverClient(server, io.env).client
}

function requireClient(opts: TargetOpts, io: CliIo, command: string): WeftClient {
  const client = clientFor(opts, io)
  if (client) return client
  throw new WeftError(
    'input_invalid',
    `\`weft dataflow ${command}\` acts on an execution running in a weft server: give --server URL (or set WEFT_SERVER)`,
    {
      hint: '`weft dataflow run` executions live in the process that runs them; start a server with `weft serve` to control executions from elsewhere',
    },
  )
}

/** Executions from the server, or the records of the local store. */
async function listExecutions(opts: TargetOpts, io: CliIo): Promise<DataflowExecution[]> {
  const client = clientFor(opts, io)
  if (client) return client.dataflow.executions.list()
  return withRuntime(io, { ...(opts.store ? { store: opts.store } : {}) }, async (cli) => {
    const store = dataflowStoreOf(cli.runtime.store)
    if (!store) return []
    return (await store.list({ limit: 100 })).map((r) => ({
      ...(r as unknown as DataflowExecution),
      live: false,
    }))
  })
}

export function configureDataflowListCommand(command: Command, ctx: CliContext): void {
  command
    .option('--json', 'print a JSON array')
    .addOption(storeOption())
    .addOption(serverOption())
    .action(async (opts: TargetOpts) => {
      const io = ctx.io
      const items = await listExecutions(opts, io)
      if (opts.json) {
        io.stdout.write(`${JSON.stringify(items, null, 2)}\n`)
        return
      }
      if (items.length === 0) {
        io.stdout.write('no dataflow executions\n')
        return
      }
      const c = colorsFor(io.stdout, io.env)
      const rows = items.map((e) => [
        e.id,
        e.graph,
        e.state,
        formatDateTime(e.createdAt),
        String(e.metrics?.messagesInjected ?? '–'),
        String(e.metrics?.messagesOutput ?? '–'),
        String(e.metrics?.errors ?? '–'),
        e.live ? 'yes' : 'no',
      ])
      io.stdout.write(
        `${renderTable(['id', 'graph', 'state', 'created', 'in', 'out', 'errors', 'live'], rows, (_col, cell) => cell, c.dim)}\n`,
      )
    })
}

export function configureDataflowStatusCommand(command: Command, ctx: CliContext): void {
  command
    .option('--json', 'print the execution as JSON')
    .addOption(storeOption())
    .addOption(serverOption())
    .action(async (id: string, opts: TargetOpts) => {
      const io = ctx.io
      const client = clientFor(opts, io)
      const execution = client
        ? await client.dataflow.executions.get(id)
        : (await listExecutions(opts, io)).find((e) => e.id === id)
      if (!execution) {
        throw new WeftError('input_invalid', `there is no dataflow execution '${id}' in this store`, {
          hint: 'list them with `weft dataflow list` (add --server URL for a server’s executions)',
        })
      }
      if (opts.json) {
        io.stdout.write(`${JSON.stringify(execution, null, 2)}\n`)
        return
      }
      printExecution(execution, io)
    })
}

function printExecution(e: DataflowExecution, io: CliIo): void {
  const c = colorsFor(io.stdout, io.env)
  const lines = [`${c.bold(e.id)}  ${e.graph}  ${e.state}${e.live ? '' : c.dim(' (from the store)')}`]
  if (e.error) lines.push(c.red(`  ${e.error.message}`))
  if (e.metrics) {
    const m = e.metrics
    lines.push(
      `  ${m.messagesInjected} in, ${m.messagesOutput} out, ${m.errors} errors, ${m.backpressureEvents} backpressure events, ${m.queueDepth} queued`,
    )
    lines.push(metricsTable(m as ExecutionMetrics, c, true))
  }
  io.stdout.write(`${lines.join('\n')}\n`)
}

const CONTROLS = {
  pause: (client: WeftClient, id: string) => client.dataflow.executions.pause(id),
  resume: (client: WeftClient, id: string) => client.dataflow.executions.resume(id),
  stop: (client: WeftClient, id: string) => client.dataflow.executions.stop(id),
} as const

export function configureDataflowControlCommand(action: keyof typeof CONTROLS) {
  return (command: Command, ctx: CliContext): void => {
    command.addOption(serverOption()).action(async (id: string, opts: TargetOpts) => {
      const execution = await CONTROLS[action](requireClient(opts, ctx.io, action), id)
      ctx.io.stdout.write(`${execution.id} is ${execution.state}\n`)
    })
  }
}

interface InjectOpts extends TargetOpts {
  input?: string
  node?: string
  port?: string
}

export function configureDataflowInjectCommand(command: Command, ctx: CliContext): void {
  command
    .option('-i, --input <file>', 'JSON Lines to inject, one message per line')
    .option('--node <id>', 'the node to inject into (default: the graph’s only input node)')
    .option('--port <name>', 'its input port (default: in)')
    .addOption(serverOption())
    .action(async (id: string, values: string[], opts: InjectOpts) => {
      const io = ctx.io
      const client = requireClient(opts, io, 'inject')
      const messages: unknown[] = []
      const parse = (text: string, where: string) => {
        try {
          return JSON.parse(text) as unknown
        } catch (err) {
          throw new WeftError('input_invalid', `${where}: not a JSON value: ${(err as Error).message}`, {
            hint: 'give JSON values, e.g. 42 or \'{"a": 1}\'',
          })
        }
      }
      values.forEach((v, i) => {
        messages.push(parse(v, `argument ${i + 1}`))
      })
      if (opts.input) {
        const text = await readFile(isAbsolute(opts.input) ? opts.input : resolve(io.cwd, opts.input), 'utf8')
        text.split('\n').forEach((line, i) => {
          if (line.trim() !== '') messages.push(parse(line, `${opts.input}:${i + 1}`))
        })
      }
      if (messages.length === 0)
        throw new WeftError('input_invalid', 'nothing to inject', {
          hint: 'give JSON values as arguments or --input FILE',
        })
      const target = { ...(opts.node ? { node: opts.node } : {}), ...(opts.port ? { port: opts.port } : {}) }
      let sent = 0
      // In batches of the API's limit; a full queue stops with what was taken said.
      while (sent < messages.length) {
        const batch = messages.slice(sent, sent + 10_000)
        const answer = await client.dataflow.executions.inject(id, { ...target, values: batch })
        sent += answer.accepted
        if (answer.accepted < batch.length) {
          io.stderr.write(`the queue is full: ${sent} of ${messages.length} messages injected\n`)
          ctx.exitCode = ExitCode.failed
          return
        }
      }
      io.stdout.write(`${sent} message${sent === 1 ? '' : 's'} injected into ${id}\n`)
    })
}
