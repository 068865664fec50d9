import { randomBytes } from 'node:crypto'
import { type FileHandle, open, readdir, rename, rm } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { isProcessAlive } from './process.js'

/** Whether writes are flushed to the disk before they count (see `FsStoreOptions.fsync`). */
export interface Durability {
  fsync: boolean
}

const TEMP = /^\..+\.weft-tmp-(\d+)-[0-9a-f]+$/

/**
 * A temp file beside `path`: same directory, so the rename that publishes it never crosses a file
 * system; hidden and marked with the writer's pid, so a person's `ls` skips it and repair can tell
 * a dead writer's leftover from a live writer's file in flight.
 */
export function tempPathFor(path: string): string {
  return join(
    dirname(path),
    `.${tempStem(basename(path))}.weft-tmp-${process.pid}-${randomBytes(4).toString('hex')}`,
  )
}

/** File names are at most 255 bytes: a long name's temp file keeps only the start of it. */
const MAX_TEMP_STEM_BYTES = 200

function tempStem(name: string): string {
  if (Buffer.byteLength(name, 'utf8') <= MAX_TEMP_STEM_BYTES) return name
  let stem = name.slice(0, MAX_TEMP_STEM_BYTES)
  while (Buffer.byteLength(stem, 'utf8') > MAX_TEMP_STEM_BYTES) stem = stem.slice(0, -1)
  // Never end on half of a surrogate pair.
  return /[\ud800-\udbff]$/.test(stem) ? stem.slice(0, -1) : stem
}

/** Whether a base name is one of `tempPathFor`'s. */
export function isTempName(name: string): boolean {
  return TEMP.test(name)
}

/** A temp file (by its base name) whose writer no longer runs: a crash between write and rename. */
export function isDeadTemp(name: string): boolean {
  const match = TEMP.exec(name)
  return match !== null && !isProcessAlive(Number(match[1]))
}

/**
 * Replaces `path` with `data` so that a reader or a crash sees the old content or the new, never a
 * mix: write a temp file, flush it, rename it over the target. The rename itself becomes durable
 * with the directory's fsync, which the caller does once for all files of one step (`fsyncDir`).
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array, d: Durability): Promise<void> {
  const temp = tempPathFor(path)
  const fh = await open(temp, 'wx')
  try {
    await fh.writeFile(data)
    if (d.fsync) await fh.sync()
  } catch (err) {
    await fh.close()
    await rm(temp, { force: true })
    throw err
  }
  await fh.close()
  try {
    await rename(temp, path)
  } catch (err) {
    await rm(temp, { force: true })
    throw err
  }
}

/** Writes a new file and flushes it (for files nobody can see yet, e.g. in a staging directory). */
export async function writeFileDurable(
  path: string,
  data: string | Uint8Array,
  d: Durability,
): Promise<void> {
  await changeFlushed(path, 'wx', d, (fh) => fh.writeFile(data))
}

/** Makes the creations, renames and removals of entries in `dir` durable. */
export async function fsyncDir(dir: string, d: Durability): Promise<void> {
  if (!d.fsync) return
  const fh = await open(dir, 'r')
  try {
    await fh.sync()
  } catch (err) {
    // Some platforms (Windows) and file systems cannot fsync a directory; nothing better exists there.
    const code = (err as NodeJS.ErrnoException).code
    if (code !== 'EINVAL' && code !== 'EPERM' && code !== 'EISDIR' && code !== 'ENOTSUP') throw err
  } finally {
    await fh.close()
  }
}

/**
 * Appends whole lines with one write and flushes them. One `write` of an O_APPEND file lands at the
 * end in one piece, so a crash can cut the text short but never interleave it with another write.
 * Returns where the new text starts (the size before the write) and the file's inode.
 */
export async function appendDurable(
  path: string,
  text: string,
  d: Durability,
): Promise<{ offset: number; ino: number; bytes: number }> {
  return changeFlushed(path, 'a', d, async (fh) => {
    const { size, ino } = await fh.stat()
    const bytes = Buffer.from(text)
    // A regular file takes the whole write at once; a short write (a full disk) is continued, and
    // if it fails, what was written is an unfinished tail that repair cuts off.
    for (let done = 0; done < bytes.length; ) {
      done += (await fh.write(bytes, done)).bytesWritten
    }
    return { offset: size, ino, bytes: bytes.length }
  })
}

/** Cuts `path` to its first `length` bytes and flushes it: a tail that does not count is dropped. */
export async function truncateDurable(path: string, length: number, d: Durability): Promise<void> {
  await changeFlushed(path, 'r+', d, (fh) => fh.truncate(length))
}

/** Opens `path` with `flags`, makes `change` to it, flushes it (as `d` says) and closes it. */
async function changeFlushed<T>(
  path: string,
  flags: string,
  d: Durability,
  change: (fh: FileHandle) => Promise<T>,
): Promise<T> {
  const fh = await open(path, flags)
  try {
    const result = await change(fh)
    if (d.fsync) await fh.sync()
    return result
  } finally {
    await fh.close()
  }
}

/** Removes temp files that writers which no longer run left in `dir` (a crash between write and rename). */
export async function removeDeadTemps(dir: string, recursive = false): Promise<void> {
  let names: string[]
  try {
    names = await readdir(dir, { recursive })
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return
    throw err
  }
  for (const name of names) {
    if (isDeadTemp(basename(name))) await rm(join(dir, name), { force: true })
  }
}
