import { definePlugin } from '@weft/core'
import { createFsStore } from './fs-store.js'

/**
 * Serves `fs:` store locations (`--store fs:PATH`, `store: fs:PATH` in a config). The location
 * may arrive with or without its scheme (`fs:./runs`, `fs://./runs` or `./runs`): all open the
 * same directory, relative to the current directory.
 */
export const plugin = definePlugin({
  name: '@weft/storage-fs',
  stores: [
    { scheme: 'fs', create: (location) => createFsStore({ dir: location.replace(/^fs:(\/\/)?/i, '') }) },
  ],
})
