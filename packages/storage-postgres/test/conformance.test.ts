import { describeStore } from '@weft/testing'
import { createPostgresStore } from '../src/index.js'
import { databaseUrl, dropSchema, newSchema } from './schemas.js'

// Each test gets an empty schema of its own in the run's database; `openAgain` is a second pool
// on the same schema, as another process (or machine) opens it.
describeStore('postgres', async () => {
  const schema = newSchema()
  const url = databaseUrl()
  return {
    store: createPostgresStore({ url, schema }),
    openAgain: () => createPostgresStore({ url, schema }),
    cleanup: () => dropSchema(schema).then(() => undefined),
  }
})
