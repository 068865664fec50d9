// Shared vitest preset. Workspace packages resolve to their TypeScript sources through the
// `development` export condition, so no package has to be built before another's tests run.
import { defineConfig, mergeConfig } from 'vitest/config'

const conditions = ['development', 'import', 'module', 'node', 'default']
// Vitest hands the SSR conditions to its worker processes as `node --conditions …`, and Node then
// applies them to `require` too: with `import` among them, a CommonJS package that requires a
// dual package (pg requires pg-pool) gets its ES module namespace instead of its class. Vite adds
// `import` by itself where an import asks for it, so the workers get the list without it.
const nodeConditions = conditions.filter((c) => c !== 'import')

/** @param {import('vitest/config').UserConfig} overrides */
export function weftVitest(overrides = {}) {
  return mergeConfig(
    defineConfig({
      resolve: { conditions },
      ssr: { resolve: { conditions: nodeConditions, externalConditions: ['development'] } },
      test: {
        environment: 'node',
        include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
        testTimeout: 30_000,
        hookTimeout: 30_000,
        pool: 'forks',
      },
    }),
    overrides,
  )
}
