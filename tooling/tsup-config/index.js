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
    ...overrides,
  })
}
