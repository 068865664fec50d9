import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { WeftError } from '@weft/core'
import { afterEach, describe, expect, it } from 'vitest'
import { createCliRuntime, findConfigFile, loadConfig } from '../src/index.js'

const dirs: string[] = []
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true })
})

/** A project directory with a plugin package (an `echo` backend) installed under node_modules. */
async function project(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'weft-config-'))
  dirs.push(dir)
  const pkg = join(dir, 'node_modules', 'weft-backend-echo')
  await mkdir(pkg, { recursive: true })
  await writeFile(
    join(pkg, 'package.json'),
    JSON.stringify({ name: 'weft-backend-echo', type: 'module', exports: { '.': './index.js' } }),
  )
  await writeFile(
    join(pkg, 'index.js'),
    `export const plugin = {
      specificationVersion: 'weft.plugin.v1',
      name: 'weft-backend-echo',
      backends: [{
        specificationVersion: 'weft.backend.v1', id: 'echo', label: 'Echo',
        capabilities: { streaming: false, events: false, cancel: true, pause: false, resumeSession: false, usage: false, tools: false },
        async execute(req) { return { output: (req.prompt ?? '').toUpperCase() } },
      }],
    }\n`,
  )
  return dir
}

describe('weft.config', () => {
  it('is found from a subdirectory upward, and its plugins give the CLI runtime their backends', async () => {
    const dir = await project()
    await writeFile(join(dir, 'weft.config.yaml'), 'plugins: [weft-backend-echo]\nmaxParallelism: 3\n')
    await mkdir(join(dir, 'sub'))
    const file = await findConfigFile(join(dir, 'sub'))
    expect(file).toBe(join(dir, 'weft.config.yaml'))
    expect(await loadConfig(file!)).toMatchObject({ plugins: ['weft-backend-echo'], maxParallelism: 3 })

    const cli = await createCliRuntime({ cwd: join(dir, 'sub'), store: 'memory:', env: {} })
    expect(cli.configFile).toBe(file)
    const run = await cli.runtime.start({
      workflow: { weft: 1, name: 'p', tasks: { a: { backend: 'echo', prompt: 'hi' } } },
    })
    expect(await cli.runtime.wait(run.id)).toMatchObject({ status: 'succeeded', outputs: { a: 'HI' } })
    await cli.runtime.close()
  })

  it('reports a bad config with the file and the allowed keys', async () => {
    const dir = await project()
    await writeFile(join(dir, 'weft.config.json'), '{"plugin": ["x"]}')
    const err = (await loadConfig(join(dir, 'weft.config.json')).catch((e) => e)) as WeftError
    expect(err.code).toBe('config_invalid')
    expect(err.message).toContain('weft.config.json')
    expect(err.hint).toContain('plugins')
  })

  it('checks the server: section with the server’s own schema', async () => {
    const dir = await project()
    await writeFile(
      join(dir, 'weft.config.yaml'),
      'server:\n  port: 8080\n  apiKeys: [{ name: ci, keyEnv: CI_KEY, scopes: [read] }]\n',
    )
    expect((await loadConfig(join(dir, 'weft.config.yaml'))).server).toMatchObject({
      port: 8080,
      apiKeys: [{ name: 'ci', keyEnv: 'CI_KEY', scopes: ['read'] }],
    })
    await writeFile(join(dir, 'weft.config.yaml'), 'server:\n  port: eighty\n')
    const err = (await loadConfig(join(dir, 'weft.config.yaml')).catch((e) => e)) as WeftError
    expect(err.code).toBe('config_invalid')
    expect(err.message).toContain('server.port')
  })
})
