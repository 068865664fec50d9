import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { afterAll, inject } from 'vitest'
import { Db } from '../src/db.js'
import { createPostgresStore } from '../src/index.js'
import { MIGRATIONS, migrate } from '../src/migrations.js'

/** The run's fresh database (see global-setup.ts). */
export const databaseUrl = (): string => inject('postgresUrl')

/** A schema name no other test uses: each test starts from an empty schema. */
export const newSchema = (): string => `t_${randomBytes(5).toString('hex')}`

/** Runs SQL on the test database outside any store (set-up, inspection, dropping schemas). */
export async function sql<R extends pg.QueryResultRow = Record<string, unknown>>(
  text: string,
  params: unknown[] = [],
): Promise<R[]> {
  const client = new pg.Client({ connectionString: databaseUrl() })
  await client.connect()
  try {
    return (await client.query<R>(text, params)).rows
  } finally {
    await client.end()
  }
}

export const dropSchema = (schema: string) => sql(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)

/**
 * A store on a new schema that every test of the calling file shares, closed and its schema
 * dropped after them. Call it at the top level of a test file.
 */
export function storeOfThisFile(): ReturnType<typeof createPostgresStore> {
  const schema = newSchema()
  const store = createPostgresStore({ url: databaseUrl(), schema })
  afterAll(async () => {
    await store.close()
    await dropSchema(schema)
  })
  return store
}

/** A `Db` on the test database outside any store, for the migrations and statements under test. */
export const testDb = (maxConnections = 2): Db =>
  new Db({ connectionString: databaseUrl(), display: 'test', applicationName: 'test', maxConnections })

/**
 * A new schema brought up to `version` by the migrations weft had then, as a database written by
 * that version looks; with the `Db` that did it (the caller closes it and drops the schema).
 */
export async function schemaAtVersion(version: number): Promise<{ schema: string; db: Db }> {
  const schema = newSchema()
  const db = testDb()
  const reached = await migrate(
    db.raw,
    schema,
    'test',
    MIGRATIONS.filter((m) => m.version <= version),
  )
  if (reached !== version) throw new Error(`schema ${schema} reached version ${reached}, not ${version}`)
  return { schema, db }
}

/** A store opened on `schema` (its `init` migrates it), and the versions the schema then records. */
export async function upgradedStore(schema: string) {
  const store = createPostgresStore({ url: databaseUrl(), schema })
  await store.init()
  const rows = await sql<{ version: number }>(`SELECT version FROM "${schema}".weft_schema ORDER BY version`)
  return { store, versions: rows.map((r) => r.version) }
}
