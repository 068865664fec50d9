import { mkdir, readdir, readFile } from 'node:fs/promises'
import { WeftError } from '@weft/core'
import { type Durability, fsyncDir, writeFileAtomic } from './atomic.js'
import { FORMAT_FILE, type Layout } from './layout.js'
import { withLock } from './lock.js'

/** What `weft-store.json` holds. */
export interface FormatFile {
  format: number
  store: string
  createdAt: string
  updatedAt?: string
  about?: string
}

/** A change to the directory layout, from `version - 1` to `version`. */
export interface FormatMigration {
  version: number
  name: string
  migrate(layout: Layout, d: Durability): Promise<void>
}

/**
 * The layout's history, append-only like SQL migrations: a released entry is never edited, a
 * change to the layout is a new entry, and every directory reaches the newest layout by the same
 * steps. Format 1 is the layout the README describes; nothing has changed it yet.
 */
export const FORMAT_MIGRATIONS: readonly FormatMigration[] = []

/** The newest layout this code reads and writes. */
export const FORMAT_VERSION: number = 1 + FORMAT_MIGRATIONS.length

const ABOUT =
  'A weft run store (@weft/storage-fs). runs/<run-id>/ holds one run: meta.json (its summary), spec.json, ' +
  'tasks.json, events.jsonl (one event per line), memory.json and artifacts/; memory/ holds agent memory. ' +
  'Read anything; change nothing while a weft process uses the store.'

/**
 * Opens the directory as a store: creates it (and the format file) when new, refuses a layout
 * newer than this code knows, and brings an older one up to date under the store lock. Returns the
 * format version found before any migration.
 */
export async function openFormat(
  layout: Layout,
  d: Durability,
  lock: { timeoutMs: number },
): Promise<number> {
  await mkdir(layout.dir, { recursive: true })
  let found = await readFormat(layout)
  if (found === undefined) {
    await refuseForeignDirectory(layout)
    // Another process may have created the store between the two looks.
    found = await readFormat(layout)
  }
  if (found === undefined) {
    const now = new Date().toISOString()
    // Written before anything else, so a directory with runs/ but no format file is never ours.
    // Two processes creating the same store at once write the same thing; the last rename wins.
    await writeFileAtomic(
      layout.formatFile,
      pretty({ format: FORMAT_VERSION, store: '@weft/storage-fs', createdAt: now, about: ABOUT }),
      d,
    )
    await fsyncDir(layout.dir, d)
    found = { format: FORMAT_VERSION, store: '@weft/storage-fs', createdAt: now }
  }
  checkNotNewer(layout, found.format)
  if (found.format < FORMAT_VERSION) {
    await mkdir(layout.locksDir, { recursive: true })
    await withLock(layout.storeLock, { timeoutMs: lock.timeoutMs, purpose: 'format migration' }, async () => {
      // Read again under the lock: another process may have migrated meanwhile.
      const current = (await readFormat(layout))!
      checkNotNewer(layout, current.format)
      for (const m of FORMAT_MIGRATIONS) {
        if (m.version <= current.format) continue
        await m.migrate(layout, d)
        await writeFileAtomic(
          layout.formatFile,
          pretty({ ...current, format: m.version, updatedAt: new Date().toISOString() }),
          d,
        )
        await fsyncDir(layout.dir, d)
      }
    })
  }
  return found.format
}

async function readFormat(layout: Layout): Promise<FormatFile | undefined> {
  let text: string
  try {
    text = await readFile(layout.formatFile, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw err
  }
  let parsed: FormatFile
  try {
    parsed = JSON.parse(text) as FormatFile
  } catch (err) {
    throw new WeftError('store_version', `${layout.formatFile} is not valid JSON`, {
      hint: 'the file was damaged or edited; it must hold {"format": <number>, …}',
      cause: err,
    })
  }
  if (!Number.isInteger(parsed.format) || parsed.format < 1) {
    throw new WeftError('store_version', `${layout.formatFile} has no valid "format" number`, {
      hint: 'the file was damaged or edited; it must hold {"format": <number>, …}',
    })
  }
  return parsed
}

function checkNotNewer(layout: Layout, format: number): void {
  if (format <= FORMAT_VERSION) return
  throw new WeftError(
    'store_version',
    `the store ${layout.dir} has format version ${format}, but this @weft/storage-fs knows versions up to ${FORMAT_VERSION}`,
    {
      hint: 'a newer weft wrote this store: upgrade weft (and @weft/storage-fs) to open it',
      details: { storeFormat: format, knownFormat: FORMAT_VERSION, formatFile: layout.formatFile },
    },
  )
}

/**
 * A store directory is created empty or is already a store: pointing `fs:` at a project folder by
 * mistake must not scatter runs/, locks/, … among the user's files. Hidden files are ignored (a
 * `.DS_Store`, or the format file's own temp file while another process creates the store).
 */
async function refuseForeignDirectory(layout: Layout): Promise<void> {
  const names = await readdir(layout.dir)
  if (names.includes(FORMAT_FILE)) return
  const entries = names.filter((name) => !name.startsWith('.'))
  if (entries.length === 0) return
  throw new WeftError(
    'config_invalid',
    `${layout.dir} is not empty and is not a weft store (it has no weft-store.json)`,
    {
      hint: 'give the fs store a new or empty directory of its own, e.g. fs:.weft/store',
      details: { dir: layout.dir, entries: entries.slice(0, 10) },
    },
  )
}

export function pretty(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`
}
