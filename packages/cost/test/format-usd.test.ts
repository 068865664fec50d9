import { describe, expect, it } from 'vitest'
import { formatUsd } from '../src/index.js'

describe('formatUsd', () => {
  it('keeps fractions of a cent readable and larger sums in cents', () => {
    expect(formatUsd(0.01335)).toBe('$0.0134')
    expect(formatUsd(0.0042)).toBe('$0.0042')
    expect(formatUsd(0.5)).toBe('$0.5000')
    expect(formatUsd(2)).toBe('$2.00')
    expect(formatUsd(1234.5)).toBe('$1,234.50')
  })

  it('shows zero, tiny and negative amounts', () => {
    expect(formatUsd(0)).toBe('$0.00')
    expect(formatUsd(0.00001)).toBe('<$0.0001')
    expect(formatUsd(-1.5)).toBe('-$1.50')
  })

  it('never shows an unknown cost as $0.00', () => {
    expect(formatUsd(undefined)).toBe('unknown')
    expect(formatUsd(undefined, '—')).toBe('—')
    expect(formatUsd(Number.NaN)).toBe('unknown')
  })
})
