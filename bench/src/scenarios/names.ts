/** The names of `pnpm bench`'s scenarios (index.ts holds the scenarios themselves). */
export const SCENARIO_NAMES: readonly string[] = [
  'scheduler',
  'durable',
  'subprocess',
  'queries',
  'queries-postgres',
  'memory',
  'cold-start',
  'export-memory',
  'server',
  'tracing',
  'dataflow',
  'workers',
]
