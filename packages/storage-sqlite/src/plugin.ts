import { definePlugin } from '@weft/core'
import { createSqliteStore } from './sqlite-store.js'

/**
 * Serves `sqlite:` store locations from a config file. The location may arrive with or without
 * its scheme (`sqlite:./weft.db` or `./weft.db`): both open the same file.
 */
export const plugin = definePlugin({
  name: '@weft/storage-sqlite',
  stores: [
    {
      scheme: 'sqlite',
      create: (location) => createSqliteStore({ path: location.replace(/^sqlite:(\/\/)?/, '') }),
    },
  ],
})
