import type { BackendEvent, TaskContext, TaskRequest } from '@weft/spec'
import type { z } from 'zod'
import { abortError } from './abort.js'
import { attemptEmitter } from './attempt.js'
import { parseOptions } from './options.js'

export interface CliAttemptSetup<Schema extends z.ZodType<object>, Parser> {
  /** The backend's id, for `bad_options` messages. */
  id: string
  /** The schema of its `with`. */
  schema: Schema
  /** Backend-wide defaults under the task's `with`, field by field (the task's own fields win). */
  defaults?: Partial<z.output<Schema>> | undefined
  /** The abort error's message when the signal's reason carries none. */
  canceled: string
  /** Whether this attempt replays the transcript instead of running the CLI. */
  stubOf: (options: z.output<Schema>) => boolean
  /** The log line that says so. */
  stubMessage: string
  /** The CLI's recorded output (text, or its lines), fed to the parser line by line in stub mode. */
  transcript: string | readonly string[]
  /** The backend's parser of the CLI's output lines, over the attempt's emitter. */
  parser: (emit: (event: BackendEvent) => void, options: z.output<Schema>) => Parser
}

/**
 * The start of every attempt of an agent CLI backend: its `with` parsed (`bad_options`), an aborted
 * signal refused, an emitter that goes quiet once the attempt is over (a listener's problem must
 * not break the CLI's output pipe either), and the backend's line parser over it. In stub mode the
 * recorded transcript has been fed to the parser (`stubbed`): the attempt's result is the parser's.
 */
export function beginCliAttempt<
  Schema extends z.ZodType<object>,
  Parser extends { onLine: (line: string) => void },
>(
  request: TaskRequest,
  ctx: TaskContext,
  setup: CliAttemptSetup<Schema, Parser>,
): { options: z.output<Schema>; emit: (event: BackendEvent) => void; parser: Parser; stubbed: boolean } {
  const parsed = parseOptions(setup.schema, setup.id, request.options)
  const options: z.output<Schema> = setup.defaults ? { ...setup.defaults, ...parsed } : parsed
  if (ctx.signal.aborted) throw abortError(ctx.signal, setup.canceled)
  const emit = attemptEmitter(ctx)
  const parser = setup.parser(emit, options)
  const stubbed = setup.stubOf(options)
  if (stubbed) {
    emit({ type: 'log', level: 'info', message: setup.stubMessage })
    const lines = typeof setup.transcript === 'string' ? setup.transcript.split('\n') : setup.transcript
    for (const line of lines) parser.onLine(line)
  }
  return { options, emit, parser, stubbed }
}
