import { isAbsolute, resolve } from 'node:path'
import { type BudgetSpec, type LoadedDocument, loadWorkflowFile, type Runtime, WeftError } from '@weft/core'
import { InvalidArgumentError, Option } from 'commander'
import { type CliRuntime, type CliRuntimeOptions, createCliRuntime } from '../compose.js'
import type { CliIo } from '../io.js'
import type { StoreLocation } from '../store.js'

export function storeOption(): Option {
  return new Option(
    '--store <path>',
    'where runs live: a SQLite file, sqlite:PATH or memory: (default: $WEFT_STORE, the config, .weft/weft.db)',
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

/** Opens the runtime for one command and always closes it, so SQLite is closed before exit. */
export async function withRuntime<T>(
  io: CliIo,
  options: Omit<CliRuntimeOptions, 'cwd' | 'env' | 'reporter'>,
  fn: (cli: CliRuntime) => Promise<T>,
): Promise<T> {
  const cli = await createCliRuntime({
    ...options,
    cwd: io.cwd,
    env: io.env,
    reporter: { warn: (message) => io.stderr.write(`warning: ${message}\n`) },
  })
  try {
    return await fn(cli)
  } finally {
    await cli.runtime.close()
  }
}

/** Printed resume commands must name the store when it came from `--store` (the env var persists). */
export function storeArgs(location: StoreLocation): string | undefined {
  if (location.source !== 'flag' || location.kind === 'memory') return undefined
  const value =
    location.kind === 'sqlite'
      ? location.path
      : location.kind === 'fs'
        ? `fs:${location.path}`
        : location.location
  return `--store ${/^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`}`
}

/**
 * Reads a workflow file relative to the CLI's working directory, while messages keep naming the
 * file the way the user typed it.
 */
export async function loadWorkflow(file: string, io: CliIo): Promise<LoadedDocument & { path: string }> {
  const path = isAbsolute(file) ? file : resolve(io.cwd, file)
  const doc = await loadWorkflowFile(path)
  for (const d of doc.diagnostics) if (d.file === path) d.file = file
  return { ...doc, file, path }
}

export async function requireRun(runtime: Runtime, runId: string) {
  const run = await runtime.get(runId)
  if (!run) {
    throw new WeftError('run_not_found', `there is no run '${runId}' in this store`, {
      hint: 'list runs with `weft runs list` (and check --store / WEFT_STORE)',
    })
  }
  return run
}
