/**
 * Writes schema/workflow.schema.json from the zod schema (`pnpm --filter @weft/spec schema`), in
 * the repository's format (biome), so that a lint run leaves it as it is.
 * test/json-schema.test.ts fails when the file does not hold what this would write.
 */
import { execFileSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { workflowJsonSchema } from '../src/workflow-json-schema.js'

const file = fileURLToPath(new URL('../schema/workflow.schema.json', import.meta.url))
writeFileSync(file, `${JSON.stringify(workflowJsonSchema(), null, 2)}\n`)
execFileSync('pnpm', ['exec', 'biome', 'format', '--write', file], { stdio: 'ignore' })
console.log(`wrote ${file}`)
