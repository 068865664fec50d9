import { mkdir, mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { createRuntime, findConfigFile, loadConfig, loadPlugins, type WeftError } from '../src/index.js'

async function project() {
  const dir = await mkdtemp(join(tmpdir(), 'weft-plugins-'))
  const pkg = join(dir, 'node_modules', 'weft-backend-echo')
  await mkdir(pkg, { recursive: true })
  await writeFile(
    join(pkg, 'package.json'),
    JSON.stringify({
      name: 'weft-backend-echo',
      type: 'module',
      exports: { '.': { import: './index.js', default: './index.js' } },
    }),
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
  const bad = join(dir, 'node_modules', 'not-a-plugin')
  await mkdir(bad, { recursive: true })
  await writeFile(
    join(bad, 'package.json'),
    JSON.stringify({ name: 'not-a-plugin', type: 'module', main: 'index.js' }),
  )
  await writeFile(join(bad, 'index.js'), 'export const hello = 1\n')
  return dir
}

describe('plugins and config', () => {
  it('loads a plugin package named in weft.config.yaml and runs its backend', async () => {
    const dir = await project()
    await writeFile(join(dir, 'weft.config.yaml'), 'plugins: [weft-backend-echo]\nmaxParallelism: 3\n')
    await mkdir(join(dir, 'sub'))
    const file = await findConfigFile(join(dir, 'sub'))
    expect(file).toBe(join(dir, 'weft.config.yaml'))
    const config = await loadConfig(file!)
    expect(config).toMatchObject({ plugins: ['weft-backend-echo'], maxParallelism: 3 })
    const plugins = await loadPlugins(config.plugins, dir)
    const runtime = createRuntime({ plugins })
    const run = await runtime.start({
      workflow: { weft: 1, name: 'p', tasks: { a: { backend: 'echo', prompt: 'hi' } } },
    })
    expect(await runtime.wait(run.id)).toMatchObject({ status: 'succeeded', outputs: { a: 'HI' } })
    await runtime.close()
  })

  it('names the package to install when a plugin is missing', async () => {
    const dir = await project()
    const err = (await loadPlugins(['@acme/weft-backend-nope'], dir).catch((e) => e)) as WeftError
    expect(err.code).toBe('plugin_not_found')
    expect(err.message).toContain("'@acme/weft-backend-nope' is not installed")
    expect(err.hint).toContain('pnpm add @acme/weft-backend-nope')
  })

  it('rejects a package that is not a plugin', async () => {
    const dir = await project()
    const err = (await loadPlugins(['not-a-plugin'], dir).catch((e) => e)) as WeftError
    expect(err.code).toBe('plugin_invalid')
    expect(err.hint).toContain('definePlugin')
  })

  it('reports a bad config with the file and the allowed keys', async () => {
    const dir = await project()
    await writeFile(join(dir, 'weft.config.json'), '{"plugin": ["x"]}')
    const err = (await loadConfig(join(dir, 'weft.config.json')).catch((e) => e)) as WeftError
    expect(err.code).toBe('config_invalid')
    expect(err.message).toContain('weft.config.json')
    expect(err.hint).toContain('plugins')
  })
})
