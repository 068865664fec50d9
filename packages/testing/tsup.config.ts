import { weftTsup } from '@weft/tsup-config'

// `@weft/testing/fuzz` is the workflow fuzz generator alone: it needs fast-check, not @weft/core
// or vitest, so a server's tests can import it without the suites.
export default weftTsup({
  entry: { index: 'src/index.ts', 'fuzz/index': 'src/fuzz/index.ts' },
  splitting: true,
})
