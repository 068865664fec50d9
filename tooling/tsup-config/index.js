// Shared tsup preset: ESM only, Node 20 target, declarations, no bundling of dependencies.
import { defineConfig } from 'tsup'

/** @param {Partial<import('tsup').Options>} overrides */
export function weftTsup(overrides = {}) {
  return defineConfig({
    entry: ['src/index.ts'],
    format: ['esm'],
    target: 'node20',
    platform: 'node',
    dts: true,
    sourcemap: true,
    clean: true,
    splitting: false,
    // Another workspace package is never copied into this one's dist, even when it is only a
    // devDependency: a second copy of @weft/spec would break `instanceof WeftError`, and the
    // build would depend on the other package having been built first (build-all.mjs builds
    // them in any order).
    external: [/^@weft\//],
    // esbuild takes the working directory once, when it is first loaded; tsup resolves entries
    // from the current one. Passing it per build lets one process build many packages in turn
    // (build-all.mjs).
    esbuildOptions(options) {
      options.absWorkingDir = process.cwd()
    },
    ...overrides,
  })
}
