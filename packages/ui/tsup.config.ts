import { weftTsup } from '@weft/tsup-config'

// Only the tiny Node entry (where the page's files are); `vite build` makes the page itself into
// dist/app, after this (tsup cleans dist/node only).
export default weftTsup({ entry: ['src/node/index.ts'], outDir: 'dist/node' })
