import { isAbsolute, resolve } from 'node:path'
import { createCostModel } from '@weft/cost'
import { createDataflow, type Dataflow, type GraphValidation } from '@weft/dataflow'
import type { CliRuntime } from '../compose.js'
import type { CliIo } from '../io.js'

/**
 * The dataflow host of the `weft` command: the built-in components, the components and backends of
 * the configured plugins (so `agent` nodes reach every backend `weft run` has), the price catalog
 * with the config's models, and the config's budget as each agent node's default.
 */
export function createCliDataflow(cli: CliRuntime, io: CliIo): Dataflow {
  const budget = cli.config.budget
  return createDataflow({
    plugins: cli.plugins,
    backends: [...cli.runtime.backends.values()],
    cost: createCostModel({ models: cli.config.models, source: cli.configFile ?? 'weft.config' }),
    ...(budget && (budget.maxCostUsd !== undefined || budget.maxTokens !== undefined)
      ? {
          budget: {
            ...(budget.maxCostUsd !== undefined ? { maxCostUsd: budget.maxCostUsd } : {}),
            ...(budget.maxTokens !== undefined ? { maxTokens: budget.maxTokens } : {}),
          },
        }
      : {}),
    workDir: io.cwd,
  })
}

/** Validates a graph file relative to the CLI's directory; messages name it as the user typed it. */
export async function validateGraphFile(
  dataflow: Dataflow,
  file: string,
  io: CliIo,
): Promise<GraphValidation> {
  const path = isAbsolute(file) ? file : resolve(io.cwd, file)
  const result = await dataflow.validateFile(path)
  for (const d of result.diagnostics) if (d.file === path) d.file = file
  return result
}
