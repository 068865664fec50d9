import { weftTsup } from '@weft/tsup-config'

// `@weft/testing/fuzz` is the workflow fuzz generator alone: it needs fast-check, not @weft/core
// or vitest, so a server's tests can import it without the suites. `@weft/testing/doubles` needs
// no vitest either: a child process a test starts can import it.
export default weftTsup({
  entry: { index: 'src/index.ts', doubles: 'src/doubles.ts', 'fuzz/index': 'src/fuzz/index.ts' },
  splitting: true,
})
