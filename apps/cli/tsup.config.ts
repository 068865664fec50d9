import { weftTsup } from '@weft/tsup-config'

// Code splitting: each command is a chunk of its own that `weft` imports only when it runs, so
// `weft --version` and `weft --help` load the entry and commander alone. Declarations are for the
// library entry only; bin.js has no API.
export default weftTsup({
  entry: ['src/index.ts', 'src/bin.ts'],
  splitting: true,
  dts: { entry: 'src/index.ts' },
})
