import type { Table } from './format.js'

export interface Context {
  quick: boolean
  log(message: string): void
}

export interface ScenarioOutput {
  tables: Table[]
  notes: string[]
  /** Rows of the summary table: figure, weft, baseline, ratio. */
  headline: string[][]
  /** Everything measured, for latest.json. */
  data: unknown
}

export interface Scenario {
  name: string
  title: string
  run(ctx: Context): Promise<ScenarioOutput>
}
