import { weftTsup } from '@weft/tsup-config'

// `@weft/core/contracts` is the browser-safe part (zod schemas and types, no node: imports), used
// by `@weft/api` and `@weft/client`. Splitting keeps one copy of each class (WeftError) in both.
export default weftTsup({
  entry: { index: 'src/index.ts', 'contracts/index': 'src/contracts/index.ts' },
  splitting: true,
})
