import { mkdir, mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { createRuntime, loadPlugins, type WeftError } from '../src/index.js'

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

// weft.config (which names the plugins) is the apps' file: apps/cli/test/config.test.ts.
describe('plugins', () => {
  it('loads a plugin package by name, resolved from a directory, and runs its backend', async () => {
    const dir = await project()
    const plugins = await loadPlugins(['weft-backend-echo'], dir)
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
    expect(err.next).toEqual([{ action: 'install_package', package: '@acme/weft-backend-nope' }])
  })

  it('rejects a package that is not a plugin', async () => {
    const dir = await project()
    const err = (await loadPlugins(['not-a-plugin'], dir).catch((e) => e)) as WeftError
    expect(err.code).toBe('plugin_invalid')
    expect(err.hint).toContain('definePlugin')
  })
})
