#!/usr/bin/env node
import { once } from 'node:events'
import { main } from './main.js'

// `weft runs events <id> | head` closes the pipe early: that is the reader's choice, not an error.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0)
    throw err
  })
}

const code = await main(process.argv.slice(2))
// Exit explicitly (a backend may hold a handle open), but only after the output is written.
for (const stream of [process.stdout, process.stderr]) {
  if (stream.writableLength > 0) await once(stream, 'drain')
}
process.exit(code)
