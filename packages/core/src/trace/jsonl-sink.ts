/**
 * A trace sink that appends one JSON object per line to a file: every event of every run this
 * runtime executes, and its `runtime.started`/`runtime.stopped`. For a trace without a collector:
 * `jq` reads it, and `weft events export` is not needed to see what a process did.
 */
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs'
import { dirname } from 'node:path'
import { defineTraceSink, lifecycleRecord, type TraceSink } from '@weft/spec'

export interface JsonlTraceSinkOptions {
  /** The file, appended to (its folder is created). */
  path: string
  /** Also write live-only events (`agent.delta`): many small lines. Default false. */
  deltas?: boolean
}

export function createJsonlTraceSink(options: JsonlTraceSinkOptions): TraceSink {
  let out: WriteStream | undefined
  let failed: Error | undefined
  const write = (record: unknown) => {
    if (failed) return
    if (!out) {
      mkdirSync(dirname(options.path), { recursive: true })
      out = createWriteStream(options.path, { flags: 'a' })
      out.on('error', (err) => {
        failed = err
      })
    }
    out.write(`${JSON.stringify(record)}\n`)
  }
  // An empty write's callback runs once everything written before it is handed to the file.
  const drained = () =>
    new Promise<void>((resolve) => {
      if (!out) return resolve()
      out.write('', () => resolve())
    })
  return defineTraceSink({
    name: 'jsonl',
    event(event) {
      if (event.type === 'agent.delta' && !options.deltas) return
      write(event)
    },
    lifecycle(event) {
      write(lifecycleRecord(event))
    },
    async flush() {
      await drained()
      if (failed) throw failed
    },
    async close() {
      const stream = out
      out = undefined
      if (!stream) return
      await new Promise<void>((resolve) => stream.end(() => resolve()))
      if (failed) throw failed
    },
  })
}
