import { weftVitest } from '@weft/vitest-config'

// The browser tests start real servers and a real Chromium: one file at a time, with room.
export default weftVitest({
  test: {
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    fileParallelism: false,
  },
})
