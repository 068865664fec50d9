import { weftTsup } from '@weft/tsup-config'

// Browser-safe: fetch, web streams and `@weft/api`; no `node:` import.
export default weftTsup({ platform: 'neutral' })
