import { describeStore } from '@weft/testing'
import { createFsStore } from '../src/index.js'
import { tempDirs } from './helpers.js'
import { reopeningStore } from './reopening-store.js'

const { newDir } = tempDirs('weft-fs-conformance-')

describeStore('fs', async () => ({ store: createFsStore({ dir: newDir() }) }))

// Every write closes the store and opens a new one, so every read comes from the files.
describeStore('fs, reopened after every write', async () => ({ store: reopeningStore({ dir: newDir() }) }))
