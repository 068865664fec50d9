import { weftVitest } from '@weft/vitest-config'

// Each test spawns `weft` child processes (tsx); on a loaded 2-core CI machine one of them can
// take longer than the preset's 30 s without anything being wrong.
export default weftVitest({ test: { testTimeout: 60_000, hookTimeout: 60_000 } })
