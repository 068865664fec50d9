import { writeFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import { WORKFLOW_SCHEMA_URL, workflowJsonSchema } from '@weft/core'
import type { Command } from 'commander'
import type { CliContext } from '../context.js'
import { ExitCode } from '../exit-codes.js'
import type { CliIo } from '../io.js'

export interface SchemaOptions {
  output?: string
}

export function configureSchemaCommand(command: Command, ctx: CliContext): void {
  command
    .option('-o, --output <file>', 'write the schema to this file instead of standard output')
    .action(async (opts: SchemaOptions) => {
      ctx.exitCode = await schemaCommand(opts, ctx.io)
    })
}

/**
 * Prints the JSON Schema of workflow files (the same as @weft/spec's schema/workflow.schema.json),
 * for editors: `# yaml-language-server: $schema=<file or URL>` at the top of a workflow.
 */
export async function schemaCommand(opts: SchemaOptions, io: CliIo): Promise<number> {
  const text = `${JSON.stringify(workflowJsonSchema(), null, 2)}\n`
  if (!opts.output) {
    io.stdout.write(text)
    return ExitCode.ok
  }
  const file = resolve(io.cwd, opts.output)
  await writeFile(file, text)
  io.stderr.write(
    `wrote ${opts.output}; point an editor at it with this first line in a workflow:\n# yaml-language-server: $schema=${opts.output}\n(or the published copy: ${WORKFLOW_SCHEMA_URL})\n`,
  )
  return ExitCode.ok
}
