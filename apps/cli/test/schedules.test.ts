/**
 * `weft schedules add|list|remove` as a person types them: on the local store and against a real
 * server (`--server`), with the errors a typo gets (a bad cron names the field and shows an
 * example, an unknown id points at `weft schedules list`).
 */
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, it } from 'vitest'
import { type CliOptions, createWorkspace, runCli, type Workspace } from './helpers/cli.js'
import { startTestServer, type TestServer } from './helpers/server.js'

const GREET = [
  'weft: 1',
  'name: greet',
  'inputs: { who: { type: string } }',
  'defaults: { backend: mock }',
  'tasks: { hello: { prompt: "hello ${{ inputs.who }}" } }',
  '',
].join('\n')

const workspaces: Workspace[] = []
let server: TestServer
beforeAll(async () => {
  server = await startTestServer()
})
afterAll(async () => {
  await server.close()
  for (const ws of workspaces) ws.cleanup()
})

function workspace(): Workspace {
  const ws = createWorkspace()
  workspaces.push(ws)
  writeFileSync(join(ws.dir, 'greet.yaml'), GREET)
  return ws
}

const weft = (args: string[], options: CliOptions) => runCli(args, { timeoutMs: 90_000, ...options })

describe.concurrent('weft schedules', { timeout: 180_000 }, () => {
  for (const target of ['local', 'server'] as const) {
    it(`adds, lists and removes a schedule (${target})`, async ({ expect }) => {
      const ws = workspace()
      const at = target === 'server' ? ['--server', server.url] : []
      const o = { cwd: ws.dir, env: ws.env }
      const added = await weft(
        [
          'schedules',
          'add',
          'greet.yaml',
          '--cron',
          '0 9 * * 1-5',
          '--input',
          'who=team',
          '--missed',
          'catchUp',
          '--timezone',
          'Europe/Paris',
          ...at,
        ],
        o,
      )
      expect(added.code, added.stderr).toBe(0)
      const id =
        /added schedule (sch_[0-9a-f]+) \(greet\): 0 9 \* \* 1-5 in Europe\/Paris, missed ticks: catchUp/.exec(
          added.stdout,
        )?.[1]
      expect(id, added.stdout).toBeDefined()
      expect(added.stdout).toContain(`weft schedules remove ${id}`)

      const table = await weft(['schedules', 'list', ...at], o)
      expect(table.code).toBe(0)
      expect(table.stdout).toMatch(
        new RegExp(`${id}\\s+greet\\s+0 9 \\* \\* 1-5\\s+Europe/Paris\\s+catchUp\\s+yes`),
      )
      const json = await weft(['schedules', 'list', '--json', ...at], o)
      const listed = JSON.parse(json.stdout) as {
        id: string
        inputs: unknown
        workflow: { source?: string }
      }[]
      const mine = listed.find((s) => s.id === id)
      expect(mine).toMatchObject({ inputs: { who: 'team' }, origin: 'user', enabled: true })
      expect(mine?.workflow.source).toBe(join(ws.dir, 'greet.yaml'))

      const removed = await weft(['schedules', 'remove', id!, ...at], o)
      expect(removed.code, removed.stderr).toBe(0)
      expect(removed.stdout).toContain(`removed schedule ${id}`)
      const after = await weft(['schedules', 'list', '--json', ...at], o)
      expect((JSON.parse(after.stdout) as { id: string }[]).some((s) => s.id === id)).toBe(false)

      const again = await weft(['schedules', 'remove', id!, ...at], o)
      expect(again.code).toBe(2)
      expect(again.stderr).toContain(`there is no schedule '${id}'`)
      expect(again.stderr).toContain('weft schedules list')
    })

    it(`refuses a bad cron naming the field, and an undeclared input (${target})`, async ({ expect }) => {
      const ws = workspace()
      const at = target === 'server' ? ['--server', server.url] : []
      const o = { cwd: ws.dir, env: ws.env }
      const bad = await weft(
        ['schedules', 'add', 'greet.yaml', '--cron', '0 9 * * 8', '--input', 'who=x', ...at],
        o,
      )
      expect(bad.code).toBe(2)
      expect(bad.stderr).toContain('cron "0 9 * * 8": field 5 (day of week) "8" is not valid')
      expect(bad.stderr).toContain('"0 9 * * 1-5"')
      const short = await weft(
        ['schedules', 'add', 'greet.yaml', '--cron', 'daily', '--input', 'who=x', ...at],
        o,
      )
      expect(short.code).toBe(2)
      expect(short.stderr).toMatch(/has 1 field; a cron has 5 .* or 6/)
      const undeclared = await weft(
        [
          'schedules',
          'add',
          'greet.yaml',
          '--cron',
          '0 9 * * *',
          '--input',
          'who=x',
          '--input',
          'whom=y',
          ...at,
        ],
        o,
      )
      expect(undeclared.code).toBe(2)
      expect(undeclared.stderr).toContain("input 'whom' is not declared")
      const policy = await weft(
        ['schedules', 'add', 'greet.yaml', '--cron', '0 9 * * *', '--missed', 'all', ...at],
        o,
      )
      expect(policy.code).not.toBe(0)
      expect(policy.stderr).toContain('skip, catchUp')
      const none = await weft(['schedules', 'list', ...at], o)
      if (target === 'local') expect(none.stdout).toContain('no schedules')
    })
  }
})
