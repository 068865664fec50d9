/**
 * Write access is not shell access (issue 18, item 2): what a remote caller may run. Every
 * refusal is a 403 whose code names the rule.
 */
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createMockBackend } from '@weft/backend-mock'
import { createShellBackend } from '@weft/backend-shell'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  call,
  expectError,
  type Harness,
  isFinished,
  startHarness,
  waitForRun,
  workflows,
} from './helpers.js'

const KEYS = {
  /** write scope, the server's defaults */
  plain: 'policy-plain-key-0123456789',
  /** may post inline workflows */
  inline: 'policy-inline-key-0123456789',
  /** may post inline workflows and use only mock */
  mockOnly: 'policy-mock-only-0123456789',
  /** may use the shell, inline too (its own list is its whole list) */
  shell: 'policy-shell-key-0123456789',
}

const shellTask = (cwd?: string) => ({
  weft: 1,
  name: 'sh',
  tasks: { run: { backend: 'shell', with: { command: ['pwd'], ...(cwd ? { cwd } : {}) } } },
})

let h: Harness
let root: string
beforeAll(async () => {
  h = await startHarness({
    memory: true,
    runtime: { backends: [createMockBackend(), createMockBackend({ id: 'other' })] },
    async setup(dir) {
      root = join(dir, 'root')
      await mkdir(join(root, 'inside'), { recursive: true })
      await mkdir(join(dir, 'workflows'))
      await writeFile(join(dir, 'workflows', 'hello.json'), JSON.stringify(workflows.quick('hello')))
      await writeFile(join(dir, 'workflows', 'sh.json'), JSON.stringify(shellTask()))
      await writeFile(join(dir, 'workflows', 'etc.json'), JSON.stringify(shellTask('/etc')))
      await writeFile(
        join(dir, 'workflows', 'agent.json'),
        JSON.stringify({ weft: 1, name: 'agent', tasks: { a: { agent: 'mystery', prompt: 'x' } } }),
      )
      return {
        workflowsDir: join(dir, 'workflows'),
        auth: {
          keys: [
            { name: 'plain', key: KEYS.plain, scopes: ['write'] },
            { name: 'inline', key: KEYS.inline, scopes: ['write'], inlineWorkflows: true },
            {
              name: 'mock-only',
              key: KEYS.mockOnly,
              scopes: ['write'],
              inlineWorkflows: true,
              backends: ['mock'],
            },
            {
              name: 'shell',
              key: KEYS.shell,
              scopes: ['write'],
              inlineWorkflows: true,
              backends: ['mock', 'shell'],
            },
          ],
        },
        policy: { shellCwdRoot: root, workDir: root, backends: ['mock', 'shell'] },
      }
    },
  })
})
afterAll(async () => {
  await h?.close()
})

const post = (key: string, json: unknown) => call(h.url, '/api/v1/runs', { key, json })

describe('inline workflows', () => {
  it('are refused with keys by default; named ones run', async () => {
    const r = await post(KEYS.plain, { workflow: workflows.quick() })
    expectError(r, 403, 'inline_workflows_disabled')
    expect(r.body.error.details).toMatchObject({ policy: 'policy.inlineWorkflows' })
    // YAML text is inline too.
    expectError(
      await post(KEYS.plain, { workflow: 'weft: 1\nname: x\ntasks: {}\n' }),
      403,
      'inline_workflows_disabled',
    )
    const named = await post(KEYS.plain, { workflowName: 'hello' })
    expect(named.status).toBe(202)
    await waitForRun(h, named.body.runId, isFinished, 'the named run', KEYS.plain)
  })

  it('are allowed for a key that says so', async () => {
    expect((await post(KEYS.inline, { workflow: workflows.quick() })).status).toBe(202)
  })

  it('are refused for adding tasks to a run too (added tasks are inline work)', async () => {
    const started = await post(KEYS.plain, { workflowName: 'hello' })
    const r = await call(h.url, `/api/v1/runs/${started.body.runId}/tasks`, {
      key: KEYS.plain,
      json: { tasks: { extra: { backend: 'mock', prompt: 'x' } } },
    })
    expectError(r, 403, 'inline_workflows_disabled')
  })
})

describe('subworkflows', () => {
  it('an inline workflow may use a workflow of the folder by name, not a file by path', async () => {
    const using = (uses: string) => ({ weft: 1, name: 'u', tasks: { sub: { uses } } })
    for (const uses of ['./hello.json', '/etc/weft/deploy.yaml', 'hello.yaml']) {
      const r = await post(KEYS.inline, { workflow: using(uses) })
      expectError(r, 403, 'subworkflow_not_allowed')
      expect(r.body.error.message).toContain(`'${uses}'`)
    }
    expect((await post(KEYS.inline, { workflow: using('hello') })).status).toBe(202)
  })
})

describe('backends', () => {
  it('shell is off for inline workflows by default, named ones may use it', async () => {
    const r = await post(KEYS.inline, { workflow: shellTask() })
    expectError(r, 403, 'backend_not_allowed')
    expect(r.body.error.details).toMatchObject({
      policy: 'policy.inlineBackends',
      task: 'run',
      backend: 'shell',
    })
    // Added tasks count as inline.
    const started = await post(KEYS.inline, { workflow: workflows.hang() })
    const add = await call(h.url, `/api/v1/runs/${started.body.runId}/tasks`, {
      key: KEYS.inline,
      json: { tasks: { sh: { backend: 'shell', with: { command: ['id'] } } } },
    })
    expectError(add, 403, 'backend_not_allowed')
    await call(h.url, `/api/v1/runs/${started.body.runId}/cancel`, { key: KEYS.inline, method: 'POST' })
  })

  it('a key limited to some backends cannot use others, named, inline or by override', async () => {
    const named = await post(KEYS.mockOnly, { workflowName: 'sh' })
    expectError(named, 403, 'backend_not_allowed')
    expect(named.body.error.details).toMatchObject({ policy: 'apiKeys.backends' })
    // `backend` in the request puts every task on that backend.
    expectError(
      await post(KEYS.mockOnly, { workflowName: 'hello', backend: 'other' }),
      403,
      'backend_not_allowed',
    )
    // Through defaults.backend, too.
    const viaDefaults = { ...workflows.quick(), defaults: { backend: 'other' } }
    expectError(await post(KEYS.mockOnly, { workflow: viaDefaults }), 403, 'backend_not_allowed')
  })

  it('the server-wide list binds keys without a list of their own', async () => {
    const r = await post(KEYS.inline, { workflow: { ...workflows.quick(), defaults: { backend: 'other' } } })
    expectError(r, 403, 'backend_not_allowed')
    expect(r.body.error.details).toMatchObject({ policy: 'policy.backends', backend: 'other' })
  })

  it('a key whose own list names shell may use it inline', async () => {
    const r = await post(KEYS.shell, { workflow: shellTask('inside') })
    // Reaches the runtime: this harness has no shell backend, so validation answers, not the policy.
    expect(r.body.error?.code).not.toBe('backend_not_allowed')
  })

  it('a task naming an agent the server cannot resolve is refused when backends are restricted', async () => {
    const r = await post(KEYS.mockOnly, { workflowName: 'agent' })
    expectError(r, 403, 'backend_not_allowed')
    expect(r.body.error.details).toMatchObject({ agent: 'mystery' })
  })
})

describe('the shell cwd root', () => {
  it('refuses a cwd written in the workflow that leaves the root (403 before anything runs)', async () => {
    const r = await post(KEYS.plain, { workflowName: 'etc' })
    expectError(r, 403, 'cwd_not_allowed')
    for (const cwd of ['/etc', '../..', 'inside/../../x']) {
      expectError(await post(KEYS.shell, { workflow: shellTask(cwd) }), 403, 'cwd_not_allowed')
    }
  })
})

describe('end to end with the real shell backend confined by cwdRoot', () => {
  let s: Harness
  let top: string
  beforeAll(async () => {
    // As `weft serve` composes it: the runtime's shell backend confined to <top>/root.
    top = await mkdtemp(join(tmpdir(), 'weft-cwd-root-'))
    const confined = join(top, 'root')
    await mkdir(join(confined, 'work'), { recursive: true })
    await symlink('/etc', join(confined, 'work', 'etc-link'))
    s = await startHarness({
      memory: true,
      server: { policy: { inlineBackends: ['*'] } },
      runtime: { backends: [createShellBackend({ cwdRoot: confined })], workDir: confined },
    })
  })
  afterAll(async () => {
    await s?.close()
    await rm(top, { recursive: true, force: true })
  })

  it('a whole command from an input is refused (core validation: command_from_input)', async () => {
    const workflow = {
      weft: 1,
      name: 'cmd-from-input',
      inputs: { cmd: { type: 'array' } },
      tasks: { run: { backend: 'shell', with: { command: '${{ inputs.cmd }}' } } },
    }
    const r = await call(s.url, '/api/v1/runs', { json: { workflow, inputs: { cmd: ['id'] } } })
    expectError(r, 400, 'workflow_invalid')
    expect(r.body.error.details.diagnostics.map((d: { code: string }) => d.code)).toContain(
      'command_from_input',
    )
  })

  it('a cwd from an input cannot leave the root: the task fails and says why', async () => {
    const workflow = {
      weft: 1,
      name: 'cwd-from-input',
      inputs: { dir: { type: 'string' } },
      tasks: { here: { backend: 'shell', with: { command: ['pwd'], cwd: '${{ inputs.dir }}' } } },
    }
    for (const dir of ['../../..', '/etc', 'work/etc-link']) {
      const r = await call(s.url, '/api/v1/runs', { json: { workflow, inputs: { dir } } })
      expect(r.status).toBe(202)
      const run = await waitForRun(s, r.body.runId, isFinished, `the run with cwd ${dir}`)
      expect(run.status).toBe('failed')
      const [task] = await s.runtime.tasks(r.body.runId)
      expect(JSON.stringify(task?.error ?? {})).toMatch(/outside .*confined to/)
    }
    const ok = await call(s.url, '/api/v1/runs', { json: { workflow, inputs: { dir: 'work' } } })
    const done = await waitForRun(s, ok.body.runId, isFinished, 'the run inside the root')
    expect(done.status).toBe('succeeded')
  })
})
