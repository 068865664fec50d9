import { weftVitest } from '@weft/vitest-config'

export default weftVitest()
