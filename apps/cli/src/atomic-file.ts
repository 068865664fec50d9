import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { createWriteStream, type WriteStream } from 'node:fs'
import { rename, rm, stat } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { WeftError } from '@weft/core'

export interface AtomicFile {
  /** Write here; the target file appears only on `commit`. */
  stream: WriteStream
  /** Ends the stream, flushes it to disk and renames it over the target. */
  commit(): Promise<void>
  /** Discards what was written; the target is left as it was. */
  abort(): Promise<void>
}

/**
 * A file written as a whole or not at all: a temp file beside the target (same directory, so the
 * rename is atomic on one file system), fsync'd on close, then renamed. A reader never sees half
 * an export, and a failed or interrupted export leaves an existing file untouched.
 */
export async function openAtomicFile(path: string): Promise<AtomicFile> {
  const dir = dirname(path)
  const info = await stat(dir).catch(() => undefined)
  if (!info?.isDirectory()) {
    throw new WeftError('input_invalid', `cannot write ${path}: the directory ${dir} does not exist`)
  }
  const temp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`)
  // `wx`: never follow or reuse a file that someone else put at the temp name.
  const stream = createWriteStream(temp, { flags: 'wx', flush: true })
  await once(stream, 'open')
  let settled = false
  return {
    stream,
    async commit() {
      settled = true
      const closed = once(stream, 'close')
      stream.end()
      try {
        await closed
        await rename(temp, path)
      } catch (err) {
        await rm(temp, { force: true })
        throw err
      }
    },
    async abort() {
      if (settled) return
      settled = true
      if (!stream.closed) {
        const closed = once(stream, 'close').catch(() => undefined)
        stream.destroy()
        await closed
      }
      await rm(temp, { force: true })
    },
  }
}
