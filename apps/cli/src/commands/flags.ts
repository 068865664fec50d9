import type { BudgetSpec } from '@weft/core'
import { InvalidArgumentError, Option } from 'commander'

// Flag definitions and parsers the commands share (commander and types only).

export function storeOption(): Option {
  return new Option(
    '--store <path>',
    'where runs live: a SQLite file, sqlite:PATH, fs:DIR, postgres://USER@HOST:PORT/DB or memory: (default: $WEFT_STORE, the config, .weft/weft.db)',
  )
}

export function serverOption(): Option {
  return new Option(
    '--server <url>',
    'act on the runs of a weft server (`weft serve`) instead of the local store (default: $WEFT_SERVER; key: $WEFT_API_KEY)',
  )
}

/** Repeatable options (`--input a=1 --input b=2`) collect into an array. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value]
}

export function positiveInt(value: string): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a whole number of at least 1.')
  return n
}

export function nonNegativeNumber(value: string): number {
  const n = Number(value)
  if (value.trim() === '' || !Number.isFinite(n) || n < 0)
    throw new InvalidArgumentError('expected a number of at least 0.')
  return n
}

/** `--budget-usd`, `--budget-tokens` and `--on-budget` as a budget override, or undefined. */
export function budgetOf(opts: {
  budgetUsd?: number
  budgetTokens?: number
  onBudget?: BudgetSpec['onExceeded']
}): BudgetSpec | undefined {
  const budget: BudgetSpec = {
    ...(opts.budgetUsd !== undefined ? { maxCostUsd: opts.budgetUsd } : {}),
    ...(opts.budgetTokens !== undefined ? { maxTokens: opts.budgetTokens } : {}),
    ...(opts.onBudget ? { onExceeded: opts.onBudget } : {}),
  }
  return Object.keys(budget).length ? budget : undefined
}

export function nonNegativeInt(value: string): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a whole number of at least 0.')
  return n
}
