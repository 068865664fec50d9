import { WeftError } from '@weft/core'

/** The schema a store uses when none is named: every table of weft lives in it. */
export const DEFAULT_SCHEMA = 'weft'

/**
 * A schema name that can be written into SQL without quoting surprises: letters, digits and `_`,
 * starting with a letter or `_`, at most 63 bytes (PostgreSQL's identifier limit, beyond which
 * it silently truncates: two long names could then share one schema).
 */
const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/

export function assertSchemaName(schema: string): void {
  if (SCHEMA_NAME.test(schema)) return
  throw new WeftError('config_invalid', `'${schema}' is not a usable PostgreSQL schema name for weft`, {
    hint: 'use letters, digits and _ (starting with a letter or _), at most 63 characters, e.g. weft',
  })
}

/** `"schema".` — the prefix of every table name in the store's SQL. */
export function qualify(schema: string): string {
  assertSchemaName(schema)
  return `"${schema}".`
}

export interface ParsedLocation {
  /** What `pg` connects with: the location without weft's own parameters. */
  connectionString: string
  /** From `?schema=NAME`, when given. */
  schema?: string
  /** The location with any password replaced by `***`, for ids, logs and error messages. */
  display: string
}

/**
 * Reads a store location such as `postgres://user@host:5432/db?schema=weft`. `postgresql://`
 * works too. `schema` is weft's own parameter and is removed before `pg` sees the URL; every other
 * parameter (`sslmode`, `application_name`, …) is passed on.
 */
export function parseLocation(location: string): ParsedLocation {
  let url: URL
  try {
    url = new URL(location.trim())
  } catch (err) {
    throw new WeftError('config_invalid', `'${redact(location)}' is not a PostgreSQL URL`, {
      hint: 'write e.g. postgres://user@127.0.0.1:5432/weft',
      cause: err,
    })
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new WeftError('config_invalid', `'${redact(location)}' is not a postgres:// location`, {
      hint: 'write e.g. postgres://user@127.0.0.1:5432/weft',
    })
  }
  const schema = url.searchParams.get('schema') ?? undefined
  url.searchParams.delete('schema')
  if (schema !== undefined) assertSchemaName(schema)
  const connectionString = url.toString()
  return { connectionString, ...(schema !== undefined ? { schema } : {}), display: redact(connectionString) }
}

/** The URL with its password (if any) replaced by `***`: store ids end up in logs and listings. */
export function redact(location: string): string {
  try {
    const url = new URL(location)
    if (url.password) url.password = '***'
    return url.toString()
  } catch {
    return location.replace(/\/\/([^:/@]*):[^@/]*@/, '//$1:***@')
  }
}
