/** `@weft/server/config`: the `server:` section of weft.config, loadable without the server stack. */
import { readFileSync } from 'node:fs'
import { parseWorkflowText } from '@weft/core'
import { describe, expect, it } from 'vitest'
import { ServerConfigSchema } from '../src/config.js'

describe('@weft/server/config', () => {
  it('imports zod alone (the CLI validates config without loading Hono)', () => {
    const source = readFileSync(new URL('../src/config.ts', import.meta.url), 'utf8')
    const imports = [...source.matchAll(/^import .* from '([^']+)'/gm)].map((m) => m[1])
    expect(imports).toEqual(['zod'])
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
    expect(pkg.exports['./config']).toMatchObject({
      development: './src/config.ts',
      import: './dist/config.js',
    })
  })

  it('takes allowedHosts, policy, limits and per-key backends', () => {
    const parsed = ServerConfigSchema.parse({
      host: '0.0.0.0',
      allowedHosts: ['weft.example.com', 'weft.internal:8787'],
      apiKeys: [
        { name: 'ci', keyEnv: 'CI_KEY', scopes: ['write'], backends: ['mock'], inlineWorkflows: true },
      ],
      policy: {
        inlineWorkflows: false,
        backends: ['mock', 'shell'],
        inlineBackends: ['mock'],
        shellCwdRoot: './work',
      },
      limits: { maxWorkflowBytes: 256 * 1024, maxTasksPerRun: 500 },
    })
    expect(parsed.policy?.inlineBackends).toEqual(['mock'])
    expect(parsed.apiKeys?.[0]?.backends).toEqual(['mock'])
  })

  it("accepts weft-server's example config", () => {
    const example = readFileSync(
      new URL('../../../apps/server/weft.config.example.yaml', import.meta.url),
      'utf8',
    )
    // Any YAML document: core's parser (the server has no YAML dependency of its own).
    const server = (parseWorkflowText(example).value as { server: unknown }).server
    expect(ServerConfigSchema.safeParse(server).error?.issues ?? []).toEqual([])
  })

  it('refuses misspelt keys and bad values, naming where', () => {
    for (const bad of [
      { policy: { inlineWorkflow: false } },
      { limits: { maxTasksPerRun: 0 } },
      { allowedHosts: [''] },
      { apiKeys: [{ name: 'x', key: 'short', scopes: ['write'] }] },
    ]) {
      const r = ServerConfigSchema.safeParse(bad)
      expect(r.success).toBe(false)
      expect(r.error!.issues[0]!.path.length).toBeGreaterThan(0)
    }
  })
})
