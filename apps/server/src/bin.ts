#!/usr/bin/env node
import { once } from 'node:events'
import { weftServer } from './index.js'

const code = await weftServer(process.argv.slice(2))
for (const stream of [process.stdout, process.stderr]) {
  if (stream.writableLength > 0) await once(stream, 'drain')
}
process.exit(code)
