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
    // esbuild takes the working directory once, when it is first loaded; tsup resolves entries
    // from the current one. Passing it per build lets one process build many packages in turn
    // (build-all.mjs).
    esbuildOptions(options) {
      options.absWorkingDir = process.cwd()
    },
    ...overrides,
  })
}
