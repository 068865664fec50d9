import { describeStore } from '@weft/testing'
import { createMemoryStore } from '../src/index.js'

describeStore('memory', async () => ({ store: createMemoryStore() }))
