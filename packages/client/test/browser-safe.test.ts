import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'

const SRC = join(import.meta.dirname, '../src')

describe('the main entry', () => {
  it('imports nothing a browser lacks: no node: modules, core only through its browser-safe contracts', () => {
    for (const file of readdirSync(SRC).filter((f) => f.endsWith('.ts'))) {
      const text = readFileSync(join(SRC, file), 'utf8')
      const imports = [...text.matchAll(/from '([^']+)'/g)].map((m) => m[1]!)
      for (const spec of imports) {
        expect(spec, `${file} imports ${spec}`).not.toMatch(
          /^node:|^(fs|path|http|https|net|crypto|stream|url)$/,
        )
        if (spec.startsWith('@weft/core')) expect(spec, file).toBe('@weft/core/contracts')
      }
      expect(text, file).not.toMatch(/\bBuffer\b|\brequire\(/)
    }
  })
})
