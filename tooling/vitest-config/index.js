// Shared vitest preset. Workspace packages resolve to their TypeScript sources through the
// `development` export condition, so no package has to be built before another's tests run.
import { defineConfig, mergeConfig } from 'vitest/config'

const conditions = ['development', 'import', 'module', 'node', 'default']

/** @param {import('vitest/config').UserConfig} overrides */
export function weftVitest(overrides = {}) {
  return mergeConfig(
    defineConfig({
      resolve: { conditions },
      ssr: { resolve: { conditions, externalConditions: ['development'] } },
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
