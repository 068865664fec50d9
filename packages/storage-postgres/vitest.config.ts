import { weftVitest } from '@weft/vitest-config'

export default weftVitest({ test: { globalSetup: ['test/global-setup.ts'] } })
