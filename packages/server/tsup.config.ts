import { weftTsup } from '@weft/tsup-config'

// config: the `server:` config schema alone (zod only), for the CLI. parse-worker: the worker
// thread that parses large workflow documents off the event loop.
export default weftTsup({ entry: ['src/index.ts', 'src/config.ts', 'src/parse-worker.ts'] })
