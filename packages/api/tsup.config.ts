import { weftTsup } from '@weft/tsup-config'

// Browser-safe: only zod and `@weft/core/contracts`.
export default weftTsup({ platform: 'neutral' })
