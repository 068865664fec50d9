/**
 * Every scenario of `pnpm bench`, in the order they run. A new scenario goes here and its name in
 * names.ts (main.ts checks `--only` against the names before the build, without importing these).
 */
import type { Scenario } from '../lib/scenario.js'
import { coldStart } from './cold-start.js'
import { dataflow } from './dataflow.js'
import { durable } from './durable.js'
import { exportMemory } from './export-memory.js'
import { memory } from './memory.js'
import { SCENARIO_NAMES } from './names.js'
import { queries } from './queries.js'
import { queriesPostgres } from './queries-postgres.js'
import { scheduler } from './scheduler.js'
import { server } from './server.js'
import { subprocess } from './subprocess.js'
import { tracing } from './tracing.js'
import { workers } from './workers.js'

export const SCENARIOS: Scenario[] = [
  scheduler,
  durable,
  subprocess,
  queries,
  queriesPostgres,
  memory,
  coldStart,
  exportMemory,
  server,
  tracing,
  dataflow,
  workers,
]

const missing = SCENARIOS.filter((s) => !SCENARIO_NAMES.includes(s.name)).map((s) => s.name)
if (missing.length || SCENARIOS.length !== SCENARIO_NAMES.length)
  throw new Error(`bench/src/scenarios/names.ts and index.ts disagree (${missing.join(', ') || 'count'})`)
