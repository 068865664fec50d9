import { describeStore, reopeningStore } from '@weft/testing'
import { createFsStore } from '../src/index.js'
import { tempDirs } from './helpers.js'

const { newDir } = tempDirs('weft-fs-conformance-')

describeStore('fs', async () => {
  const dir = newDir()
  // `openAgain`: a second store on the same directory, as another process opens it.
  return { store: createFsStore({ dir }), openAgain: () => createFsStore({ dir }) }
})

// Every write closes the store and opens a new one, so every read comes from the files.
describeStore('fs, reopened after every write', async () => {
  const dir = newDir()
  return { store: reopeningStore(() => createFsStore({ dir })) }
})
