import { definePlugin } from '@weft/core'
import { createPostgresStore } from './postgres-store.js'

/**
 * Serves `postgres://` and `postgresql://` store locations from a config file, e.g.
 * `store: postgres://weft@db.internal:5432/weft?schema=weft`.
 */
export const plugin = definePlugin({
  name: '@weft/storage-postgres',
  stores: [
    { scheme: 'postgres', create: (location) => createPostgresStore({ url: location }) },
    { scheme: 'postgresql', create: (location) => createPostgresStore({ url: location }) },
  ],
})
