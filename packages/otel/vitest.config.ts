import { defineConfig } from 'vitest/config'

// The shared preset (@weft/vitest-config) without its `module` export condition: with it, Node
// loads @opentelemetry's `build/esm`, whose imports have no file extensions (made for bundlers).
const conditions = ['development', 'import', 'node', 'default']

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions: ['development', 'node', 'default'], externalConditions: ['development'] } },
  test: {
    environment: 'node',
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
  },
})
