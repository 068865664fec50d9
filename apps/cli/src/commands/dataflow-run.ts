import { createReadStream, createWriteStream, type WriteStream } from 'node:fs'
import { isAbsolute, resolve } from 'node:path'
import { WeftError } from '@weft/core'
import { DataflowError, type Execution } from '@weft/dataflow'
import type { Command } from 'commander'
import { colorsFor } from '../colors.js'
import type { CliContext } from '../context.js'
import { createCliDataflow, validateGraphFile } from '../dataflow/compose.js'
import { metricsTable, startLiveCounters, summaryLine } from '../dataflow/live.js'
import { recordExecution } from '../dataflow/record.js'
import { countLine, formatDiagnostics } from '../diagnostics.js'
import { ExitCode } from '../exit-codes.js'
import { storeOption } from './flags.js'
import { withRuntime } from './target.js'

interface DataflowRunOptions {
  input?: string
  output?: string
  node?: string
  store?: string
  json?: boolean
}

export function configureDataflowRunCommand(command: Command, ctx: CliContext): void {
  command
    .option(
      '-i, --input <file>',
      'JSON Lines to feed to the input node, one message per line (`-` for stdin)',
    )
    .option(
      '-o, --output <file>',
      'write each value reaching an output node as one JSON line (default: stdout)',
    )
    .option('--node <id>', 'the node to feed (default: the graph’s only `input` node)')
    .option('--json', 'end with the final execution (state, metrics) as JSON instead of tables')
    .addOption(storeOption())
    .action(async (file: string, opts: DataflowRunOptions) => {
      ctx.exitCode = await dataflowRun(file, opts, ctx)
    })
}

async function dataflowRun(file: string, opts: DataflowRunOptions, ctx: CliContext): Promise<number> {
  const io = ctx.io
  return withRuntime(io, { ...(opts.store ? { store: opts.store } : {}) }, async (cli) => {
    const dataflow = createCliDataflow(cli, io)
    const result = await validateGraphFile(dataflow, file, io)
    const ce = colorsFor(io.stderr, io.env)
    if (!result.ok || !result.plan) {
      io.stderr.write(
        `${formatDiagnostics(result.diagnostics, ce)}\n${ce.red(`✗ ${file} is invalid: ${countLine(result.diagnostics)}`)}\n`,
      )
      return ExitCode.invalidInput
    }
    const warnings = result.diagnostics.filter((d) => d.level === 'warning')
    if (warnings.length) io.stderr.write(`${formatDiagnostics(warnings, ce)}\n`)

    // Values go to --output or stdout; progress and the summary go wherever the values do not.
    let sink: WriteStream | undefined
    if (opts.output)
      sink = createWriteStream(isAbsolute(opts.output) ? opts.output : resolve(io.cwd, opts.output))
    const values = sink ?? io.stdout
    const report = sink ? io.stdout : io.stderr
    const c = colorsFor(report, io.env)

    const execution = await dataflow.createExecution(result.plan)
    execution.onOutput((_node, value) => {
      values.write(`${JSON.stringify(value ?? null)}\n`)
    })
    execution.on((e) => {
      if (e.type === 'node.error')
        report.write(
          `${c.red(`error in ${e.nodeId}${e.port ? `.${e.port}` : ''}: ${e.message}`)} ${c.dim(`(onError: ${e.action})`)}\n`,
        )
    })
    const stopLive = opts.json ? () => {} : startLiveCounters(report, c, () => execution.metrics())
    let interrupted = false
    const onSigint = () => {
      interrupted = true
      void execution.stop().catch(() => {})
    }
    process.once('SIGINT', onSigint)
    try {
      await execution.start()
      if (opts.input) await feed(execution, opts.input, opts.node, io.cwd)
      if (execution.state === 'running' || execution.state === 'paused') execution.end()
      const snapshot = await execution.done
      stopLive()
      if (sink) await new Promise<void>((r, j) => sink.end((err?: Error | null) => (err ? j(err) : r())))
      await recordExecution(cli.runtime.store, execution, result.plan.graph, file)
      if (opts.json) report.write(`${JSON.stringify(snapshot, null, 2)}\n`)
      else report.write(`${metricsTable(snapshot.metrics, c, true)}\n${summaryLine(snapshot, c)}\n`)
      if (interrupted) return ExitCode.interrupted
      return snapshot.state === 'completed' ? ExitCode.ok : ExitCode.failed
    } catch (err) {
      stopLive()
      if (execution.state !== 'completed' && execution.state !== 'failed' && execution.state !== 'cancelled')
        await execution.stop()
      throw err
    } finally {
      process.off('SIGINT', onSigint)
    }
  })
}

/**
 * Feeds each JSON line to the input node, waiting while its queue is full (backpressure reaches
 * the file: the next chunk is read only then). The lines of a chunk are offered in one
 * `offerMany` call, so the engine takes them in batches instead of one message per turn of the
 * event loop.
 */
async function feed(
  execution: Execution,
  input: string,
  node: string | undefined,
  cwd: string,
): Promise<void> {
  const stream =
    input === '-' ? process.stdin : createReadStream(isAbsolute(input) ? input : resolve(cwd, input))
  const opened = new Promise<void>((res, rej) => {
    if (input === '-') res()
    stream.once('open', () => res())
    stream.once('error', (err: Error) => rej(err))
  })
  try {
    await opened
  } catch (err) {
    throw new WeftError('input_invalid', `cannot read --input ${input}: ${(err as Error).message}`, {
      hint: 'give a JSON Lines file (one JSON value per line), or - for stdin',
    })
  }
  const target = node ? { node } : {}
  stream.setEncoding('utf8')
  let lineNo = 0
  const live = () => execution.state === 'running' || execution.state === 'paused'
  /**
   * Offers the values of a chunk's lines in one call (waiting for room as needed); false when the
   * execution takes no more input. A bad line is reported after the lines before it went in.
   */
  const offerLines = async (lines: string[]): Promise<boolean> => {
    const values: unknown[] = []
    let bad: unknown
    for (const line of lines) {
      lineNo++
      if (line.trim() === '') continue
      try {
        values.push(parseLine(line, input, lineNo))
      } catch (err) {
        bad = err
        break
      }
    }
    let sent = 0
    while (sent < values.length) {
      if (!live()) return false
      try {
        sent += execution.offerMany(sent === 0 ? values : values.slice(sent), target)
        if (sent < values.length && live()) await execution.whenWritable(target)
      } catch (err) {
        throw badTarget(err)
      }
    }
    if (bad !== undefined) throw bad
    return live()
  }
  let rest = ''
  for await (const chunk of stream as AsyncIterable<string>) {
    const lines = (rest + chunk).split(LINE_BREAK)
    rest = lines.pop() ?? ''
    if (!(await offerLines(lines))) return
  }
  if (rest !== '') await offerLines([rest])
}

/** A target the graph does not have (no or several input nodes, a bad --node) is bad input. */
function badTarget(err: unknown): unknown {
  if (err instanceof DataflowError && err.code === 'unknown_target')
    return new WeftError('input_invalid', err.message, {
      hint: err.hint ? `${err.hint} (--node NODE)` : 'name the node to feed with --node NODE',
    })
  return err
}

/** `\n` or `\r\n`, as JSON Lines allows. */
const LINE_BREAK = /\r?\n/

function parseLine(line: string, input: string, lineNo: number): unknown {
  try {
    return JSON.parse(line)
  } catch (err) {
    throw new WeftError('input_invalid', `${input}:${lineNo}: not a JSON value: ${(err as Error).message}`, {
      hint: 'each line of --input is one JSON value (e.g. 42, "text" or {"a": 1})',
    })
  }
}
