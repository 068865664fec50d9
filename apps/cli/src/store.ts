import { mkdirSync } from 'node:fs'
import { dirname, isAbsolute, resolve } from 'node:path'
import { createMemoryStore, type Store, WeftError, type WeftPlugin } from '@weft/core'
import { createFsStore } from '@weft/storage-fs'
import { createSqliteStore } from '@weft/storage-sqlite'

/** The default store, relative to the current directory: every project gets its own runs. */
export const DEFAULT_STORE_PATH = '.weft/weft.db'

export type StoreSource = 'flag' | 'env' | 'config' | 'default'

export type StoreLocation =
  | { kind: 'memory'; source: StoreSource; display: string }
  | { kind: 'sqlite'; path: string; source: StoreSource; display: string }
  /** The human-readable file store: a directory of runs/<id>/meta.json, events.jsonl, … */
  | { kind: 'fs'; path: string; source: StoreSource; display: string }
  /** A shared PostgreSQL database (`postgres://user@host:5432/db?schema=weft`); display hides the password. */
  | { kind: 'postgres'; url: string; source: StoreSource; display: string }
  /** A scheme served by a plugin's store factory (e.g. `postgres:`). */
  | { kind: 'plugin'; scheme: string; location: string; source: StoreSource; display: string }

export interface StoreLocationInput {
  /** `--store PATH` */
  flag?: string
  /** The environment, for `WEFT_STORE`. */
  env?: NodeJS.ProcessEnv
  /** `store:` of the config file, relative to the config file's directory. */
  config?: string
  configDir?: string
  cwd: string
}

/**
 * Where runs live, first match wins: `--store`, then `WEFT_STORE`, then the config file's
 * `store:`, then `.weft/weft.db` under the current directory. Accepts `sqlite:PATH`, a plain path
 * (SQLite), `memory:` (gone when the process exits) and schemes that plugins provide.
 */
export function resolveStoreLocation(input: StoreLocationInput): StoreLocation {
  const envValue = input.env?.WEFT_STORE
  if (input.flag) return parseLocation(input.flag, 'flag', input.cwd)
  if (envValue) return parseLocation(envValue, 'env', input.cwd)
  if (input.config) return parseLocation(input.config, 'config', input.configDir ?? input.cwd)
  return parseLocation(DEFAULT_STORE_PATH, 'default', input.cwd)
}

function parseLocation(raw: string, source: StoreSource, baseDir: string): StoreLocation {
  const value = raw.trim()
  if (value === 'memory' || value === 'memory:' || value.startsWith('memory:')) {
    return { kind: 'memory', source, display: 'memory:' }
  }
  // Schemes have two or more letters, so a Windows drive (`C:\…`) stays a path.
  const scheme = /^([a-z][a-z0-9+.-]+):(.*)$/i.exec(value)
  if (scheme && scheme[1]!.toLowerCase() === 'fs') {
    const dir = scheme[2]!.replace(/^\/\/(?=\/)/, '')
    if (dir === '')
      throw new WeftError('config_invalid', `the store location '${raw}' has no directory`, {
        hint: 'write e.g. fs:.weft/runs',
      })
    const abs = isAbsolute(dir) ? dir : resolve(baseDir, dir)
    return { kind: 'fs', path: abs, source, display: `fs:${abs}` }
  }
  if (scheme && /^postgres(ql)?$/i.test(scheme[1]!)) {
    return { kind: 'postgres', url: value, source, display: redactPassword(value) }
  }
  if (scheme && scheme[1]!.toLowerCase() !== 'sqlite') {
    return { kind: 'plugin', scheme: scheme[1]!.toLowerCase(), location: value, source, display: value }
  }
  let path = scheme ? scheme[2]! : value
  if (path.startsWith('//')) path = path.slice(2)
  if (path === '') {
    throw new WeftError('config_invalid', `the store location '${raw}' has no path`, {
      hint: `write e.g. sqlite:${DEFAULT_STORE_PATH}`,
    })
  }
  const abs = isAbsolute(path) ? path : resolve(baseDir, path)
  return { kind: 'sqlite', path: abs, source, display: abs }
}

/** Opens the store a location names. The runtime initialises it (migrations) on first use. */
export async function openStore(location: StoreLocation, plugins: WeftPlugin[] = []): Promise<Store> {
  if (location.kind === 'memory') return createMemoryStore()
  if (location.kind === 'sqlite') {
    // SQLite creates the file but not its directory; `.weft/` does not exist in a fresh project.
    mkdirSync(dirname(location.path), { recursive: true })
    return createSqliteStore({ path: location.path, synchronous: sqliteSynchronous() })
  }
  if (location.kind === 'fs') return createFsStore({ dir: location.path })
  if (location.kind === 'postgres') {
    // Loaded only for postgres:// locations: every other command starts without pg.
    const { createPostgresStore } = await import('@weft/storage-postgres')
    return createPostgresStore({ url: location.url })
  }
  const factory = plugins.flatMap((p) => p.stores ?? []).find((f) => f.scheme === location.scheme)
  if (!factory) {
    throw new WeftError(
      'config_invalid',
      `no store serves '${location.scheme}:' (from ${location.display})`,
      {
        hint: `built in: sqlite:PATH, a plain path, fs:DIR, postgres://USER@HOST:PORT/DB, memory:; for '${location.scheme}:' install its store package and list it under \`plugins\` in weft.config`,
      },
    )
  }
  return factory.create(location.location)
}

/** `postgres://user:secret@host/db` → `postgres://user:***@host/db`: locations are printed. */
function redactPassword(location: string): string {
  return location.replace(/^([a-z]+:\/\/[^:/@]*):[^@/]*@/i, '$1:***@')
}

/**
 * `WEFT_SQLITE_SYNCHRONOUS=full` syncs every SQLite commit to disk (it then survives a power cut);
 * unset or `normal`, the store's default. Read per process: each process chooses for its own
 * connections (see @weft/storage-sqlite, "Durability").
 */
function sqliteSynchronous(): 'normal' | 'full' | undefined {
  const value = process.env.WEFT_SQLITE_SYNCHRONOUS
  if (value === undefined || value === '') return undefined
  const v = value.toLowerCase()
  if (v === 'normal' || v === 'full') return v
  throw new WeftError(
    'config_invalid',
    `WEFT_SQLITE_SYNCHRONOUS must be 'normal' or 'full', not '${value}'`,
    {
      hint: 'unset it for the default (normal), or set WEFT_SQLITE_SYNCHRONOUS=full to sync every commit',
    },
  )
}
