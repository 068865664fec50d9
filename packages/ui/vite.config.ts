import { defineConfig } from 'vite'

// The page is built into dist/app, which @weft/server serves at `/`. Workspace packages resolve to
// their sources (the `development` condition), so the page builds from a fresh clone without
// building @weft/client first.
export default defineConfig(({ command }) => ({
  root: import.meta.dirname,
  // React's production build even when NODE_ENV says otherwise (vitest sets it to `test`).
  ...(command === 'build' ? { define: { 'process.env.NODE_ENV': JSON.stringify('production') } } : {}),
  base: '/',
  resolve: { conditions: ['development', 'browser', 'module', 'import', 'default'] },
  esbuild: { jsx: 'automatic', ...(command === 'build' ? { jsxDev: false } : {}) },
  build: {
    outDir: 'dist/app',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    chunkSizeWarningLimit: 1000,
    reportCompressedSize: false,
    rollupOptions: {
      // zod's comments Rollup cannot place, React Flow's "use client": dropped, nothing else changes.
      onwarn(warning, warn) {
        if (warning.code === 'INVALID_ANNOTATION' || warning.code === 'MODULE_LEVEL_DIRECTIVE') return
        warn(warning)
      },
    },
  },
  server: {
    // `pnpm --filter @weft/ui dev` against a `weft serve` on 8787.
    proxy: { '/api': 'http://127.0.0.1:8787' },
  },
}))
