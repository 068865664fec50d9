import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { createWorkspace, runCli, type Workspace } from './helpers/cli.js'

const workspaces: Workspace[] = []
afterAll(() => {
  for (const ws of workspaces) ws.cleanup()
})

/** The file @weft/spec publishes. */
const shipped = fileURLToPath(new URL('../../../packages/spec/schema/workflow.schema.json', import.meta.url))

describe('weft schema', () => {
  it('prints the JSON Schema that @weft/spec ships', async () => {
    const ws = createWorkspace()
    workspaces.push(ws)
    const r = await runCli(['schema'], { cwd: ws.dir, env: ws.env })
    expect(r.code).toBe(0)
    const schema = JSON.parse(r.stdout)
    expect(schema).toEqual(JSON.parse(readFileSync(shipped, 'utf8')))
    expect(schema.title).toBe('weft workflow')
    expect(schema.required).toEqual(['weft', 'name', 'tasks'])
  })

  it('--output writes it to a file and says how to point an editor at it', async () => {
    const ws = createWorkspace()
    workspaces.push(ws)
    const r = await runCli(['schema', '--output', 'weft.schema.json'], { cwd: ws.dir, env: ws.env })
    expect(r.code).toBe(0)
    expect(r.stdout).toBe('')
    expect(r.stderr).toContain('# yaml-language-server: $schema=weft.schema.json')
    expect(JSON.parse(readFileSync(join(ws.dir, 'weft.schema.json'), 'utf8'))).toEqual(
      JSON.parse(readFileSync(shipped, 'utf8')),
    )
  })
})
