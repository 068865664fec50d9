import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { inject } from 'vitest'

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
