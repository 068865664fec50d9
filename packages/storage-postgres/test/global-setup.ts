import { randomBytes } from 'node:crypto'
import pg from 'pg'
import type { TestProject } from 'vitest/node'

/**
 * One fresh database for the whole test run, `weft_test_<random>`, on the server that
 * `WEFT_TEST_POSTGRES` names (default: postgres@127.0.0.1:5432 with trust auth, as on the CI
 * machines), dropped again when the run ends. Each test then works in a schema of its own.
 */
export default async function setup(project: TestProject) {
  const server = process.env.WEFT_TEST_POSTGRES ?? 'postgres://postgres@127.0.0.1:5432/postgres'
  const name = `weft_test_${randomBytes(6).toString('hex')}`
  const admin = new pg.Client({ connectionString: server })
  try {
    await admin.connect()
  } catch (err) {
    throw new Error(
      `the storage-postgres tests need a PostgreSQL server at ${server} (${(err as Error).message}); start it (.ci/run does) or set WEFT_TEST_POSTGRES`,
    )
  }
  await admin.query(`CREATE DATABASE ${name}`)
  await admin.end()
  const url = new URL(server)
  url.pathname = `/${name}`
  project.provide('postgresUrl', url.toString())
  project.provide('postgresServer', server)
  return async () => {
    const cleanup = new pg.Client({ connectionString: server })
    await cleanup.connect()
    // FORCE: a test that failed may have left a connection open.
    await cleanup.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
    await cleanup.end()
  }
}

declare module 'vitest' {
  export interface ProvidedContext {
    postgresUrl: string
    postgresServer: string
  }
}
