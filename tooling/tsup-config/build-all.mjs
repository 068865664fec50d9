#!/usr/bin/env node
// `pnpm build` at the repository root: the JavaScript of every workspace package that has a
// tsup.config, built one after the other in this one process.
//
// Why not `turbo run build`: each package's own `tsup` is a new node process (pnpm, then tsup,
// then its config compiled by esbuild) and emits declarations by type-checking the sources of
// every package it imports again: 73 s on an idle 2-core machine, for about 2 s of esbuild work.
// Running weft (the quick start, `pnpm weft`, the benches) needs only the JavaScript; inside the
// repository TypeScript reads the sources (the `development` condition). Declarations are for
// publishing: `pnpm build:types` runs every package's full `tsup` (turbo, cached).
//
// Packages with a vite.config.ts (the web page, @weft/ui) are then built with Vite too.
//
//   node tooling/tsup-config/build-all.mjs [DIR …]   only these package directories
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join, relative, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'

const CONFIG_FILES = ['tsup.config.ts', 'tsup.config.mjs', 'tsup.config.js']
const root = resolve(import.meta.dirname, '..', '..')

/** The directories the `packages:` globs of pnpm-workspace.yaml name (`dir` and `dir/*` forms). */
function workspaceDirs() {
  const text = readFileSync(join(root, 'pnpm-workspace.yaml'), 'utf8')
  const globs = []
  let inPackages = false
  for (const line of text.split('\n')) {
    if (/^\S/.test(line)) inPackages = line.startsWith('packages:')
    else if (inPackages) {
      const m = /^\s+-\s+["']?([^"'#\s]+)["']?/.exec(line)
      if (m) globs.push(m[1])
    }
  }
  return globs.flatMap((glob) => {
    if (!glob.endsWith('/*')) return [join(root, glob)]
    const parent = join(root, glob.slice(0, -2))
    if (!existsSync(parent)) return []
    return readdirSync(parent, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => join(parent, d.name))
  })
}

const wanted = process.argv.slice(2).map((d) => resolve(d))
const dirs = (wanted.length ? wanted : workspaceDirs()).filter((dir) =>
  CONFIG_FILES.some((f) => existsSync(join(dir, f))),
)

const { build } = await import('tsup')
const started = performance.now()
const failed = []
for (const dir of dirs) {
  const name = relative(root, dir)
  const t0 = performance.now()
  // tsup reads the config, the entries and outDir relative to the working directory (and the
  // preset hands it to esbuild), so packages are built one at a time.
  process.chdir(dir)
  try {
    await build({ dts: false, silent: true })
    console.log(`  ${name} ${Math.round(performance.now() - t0)} ms`)
  } catch (err) {
    failed.push(name)
    console.error(`✗ ${name}: ${err instanceof Error ? err.message : String(err)}`)
  }
}
process.chdir(root)

// Packages with a web page (`@weft/ui`): `vite build` too, so that `weft serve` has a page to serve.
// Vite is resolved from the package that uses it.
const pages = (wanted.length ? wanted : workspaceDirs()).filter((dir) =>
  existsSync(join(dir, 'vite.config.ts')),
)
for (const dir of pages) {
  const name = relative(root, dir)
  const t0 = performance.now()
  try {
    const vite = await import(pathToFileURL(createRequire(join(dir, 'package.json')).resolve('vite')).href)
    await vite.build({ root: dir, configFile: join(dir, 'vite.config.ts'), logLevel: 'warn' })
    console.log(`  ${name} (page) ${Math.round(performance.now() - t0)} ms`)
  } catch (err) {
    failed.push(`${name} (page)`)
    console.error(`✗ ${name} (page): ${err instanceof Error ? err.message : String(err)}`)
  }
}
const seconds = ((performance.now() - started) / 1000).toFixed(1)
if (failed.length) {
  console.error(`✗ ${failed.length} of ${dirs.length} packages failed to build: ${failed.join(', ')}`)
  process.exit(1)
}
console.log(`✓ built ${dirs.length} packages in ${seconds} s (JavaScript; declarations: pnpm build:types)`)
