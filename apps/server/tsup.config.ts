import { weftTsup } from '@weft/tsup-config'

export default weftTsup({ entry: ['src/index.ts', 'src/bin.ts'] })
