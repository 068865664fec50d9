import { weftTsup } from '@weft/tsup-config'

export default weftTsup()
