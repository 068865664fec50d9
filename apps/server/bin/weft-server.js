#!/usr/bin/env node
// The installed `weft-server` command. It exists before the first build (package managers link
// bins at install time), and loads the built entry.
import { fileURLToPath } from 'node:url'

const entry = new URL('../dist/bin.js', import.meta.url)
try {
  await import(entry.href)
} catch (err) {
  if (err?.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes(fileURLToPath(entry))) {
    process.stderr.write('weft-server is not built yet: run `pnpm build` at the repository root first\n')
    process.exit(2)
  }
  throw err
}
