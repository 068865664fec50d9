/** The page stays small: at most 300 KB gzipped, everything it loads included. */
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { uiAssetsDir } from '../src/node/index.js'

describe('the built page', () => {
  it('is at most 300 KB gzipped, with no file from another origin', () => {
    const dir = uiAssetsDir()
    const files = ['index.html', ...readdirSync(join(dir, 'assets')).map((f) => `assets/${f}`)]
    let total = 0
    for (const f of files) total += gzipSync(readFileSync(join(dir, f)), { level: 9 }).byteLength
    expect(files.some((f) => f.endsWith('.js'))).toBe(true)
    expect(total).toBeLessThanOrEqual(300 * 1024)
    // No CDN at run time: the page names no other origin.
    const html = readFileSync(join(dir, 'index.html'), 'utf8')
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//)
  })
})
