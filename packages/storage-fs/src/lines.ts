import { type FileHandle, open } from 'node:fs/promises'

/** One line of a JSONL file, with the byte range it occupies (`end` is past its newline). */
export interface Line {
  text: string
  start: number
  end: number
}

const CHUNK = 64 * 1024
const NEWLINE = 0x0a

/**
 * The complete lines of a file from byte `start`, read in chunks so that a long log is never held
 * in memory: only the line being assembled is. A last line without its newline is not yielded —
 * it is an append in progress or cut short by a crash, and not part of the log. Stopping the
 * iteration early closes the file.
 */
export async function* readLines(path: string, start = 0): AsyncGenerator<Line> {
  const fh = await openIfExists(path)
  if (fh === undefined) return
  try {
    const chunk = Buffer.allocUnsafe(CHUNK)
    let parts: Buffer[] = []
    let lineStart = start
    let position = start
    for (;;) {
      const { bytesRead } = await fh.read(chunk, 0, CHUNK, position)
      if (bytesRead === 0) return
      let from = 0
      for (let nl = chunk.indexOf(NEWLINE, 0); nl >= 0 && nl < bytesRead; nl = chunk.indexOf(NEWLINE, from)) {
        parts.push(chunk.subarray(from, nl))
        const bytes = parts.length === 1 ? parts[0]! : Buffer.concat(parts)
        const end = position + nl + 1
        yield { text: bytes.toString('utf8'), start: lineStart, end }
        parts = []
        lineStart = end
        from = nl + 1
      }
      // The rest of the chunk starts a line that continues in the next one: keep a copy, since
      // the chunk buffer is reused.
      if (from < bytesRead) parts.push(Buffer.from(chunk.subarray(from, bytesRead)))
      position += bytesRead
    }
  } finally {
    await fh.close()
  }
}

/** A line met walking backwards; `complete` is false for a last line that lacks its newline. */
export interface BackwardLine extends Line {
  complete: boolean
}

/**
 * The lines of a file from the last to the first, reading chunks from the end: checking how a log
 * ends costs one chunk however long the log is.
 */
export async function* readLinesBackward(path: string): AsyncGenerator<BackwardLine> {
  const fh = await openIfExists(path)
  if (fh === undefined) return
  try {
    const { size } = await fh.stat()
    // `buf` holds the bytes [bufStart, lineEnd): the not yet yielded part of the file's tail.
    let lineEnd = size
    let bufStart = size
    let buf = Buffer.alloc(0)
    while (lineEnd > 0) {
      // The line ending at lineEnd starts after the last newline before its own terminator.
      let nl = lastNewline(buf, lineEnd - 1 - bufStart)
      let chunkSize = CHUNK
      while (nl < 0 && bufStart > 0) {
        const readStart = Math.max(0, bufStart - chunkSize)
        const more = Buffer.allocUnsafe(bufStart - readStart)
        await fh.read(more, 0, more.length, readStart)
        buf = Buffer.concat([more, buf])
        bufStart = readStart
        // Grow the reads for long lines, so that a line of megabytes is not copied hundreds of times.
        chunkSize *= 2
        nl = lastNewline(buf, lineEnd - 1 - bufStart)
      }
      const start = nl < 0 ? bufStart : bufStart + nl + 1
      const bytes = buf.subarray(start - bufStart, lineEnd - bufStart)
      const complete = bytes.length > 0 && bytes[bytes.length - 1] === NEWLINE
      yield {
        text: (complete ? bytes.subarray(0, bytes.length - 1) : bytes).toString('utf8'),
        start,
        end: lineEnd,
        complete,
      }
      lineEnd = start
      buf = buf.subarray(0, start - bufStart)
    }
  } finally {
    await fh.close()
  }
}

/** Index of the last newline in `buf` before index `before`, or -1. */
function lastNewline(buf: Buffer, before: number): number {
  // lastIndexOf with a negative offset would count from the end: guard it.
  return before > 0 ? buf.lastIndexOf(NEWLINE, before - 1) : -1
}

/** The file open for reading, or undefined when there is none: a log not written yet has no lines. */
async function openIfExists(path: string): Promise<FileHandle | undefined> {
  try {
    return await open(path, 'r')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw err
  }
}
