import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { BackendError } from '@weft/core'
import { describe, expect, it } from 'vitest'
import { createShellBackend, plugin } from '../src/index.js'
import { eventually, isAlive, processState, readPids, sleep, start, useShellRuntime } from './helpers.js'

const { shell, tmp, newRuntime, runWorkflow } = useShellRuntime()

describe('metadata', () => {
  it('is honest about what it can do and is exported as a plugin', () => {
    expect(shell.id).toBe('shell')
    expect(shell.capabilities).toEqual({
      streaming: false,
      events: true,
      cancel: true,
      pause: true,
      resumeSession: false,
      usage: false,
      tools: false,
    })
    expect(plugin.name).toBe('@weft/backend-shell')
    expect(plugin.backends?.map((b) => b.id)).toEqual(['shell'])
  })

  it('is healthy', async () => {
    expect(await shell.healthcheck!()).toMatchObject({ ok: true })
  })
})

describe('output', () => {
  it('returns trimmed stdout as text, and the raw stdout as text', async () => {
    const { result } = start(shell, { command: ['echo', '  hello world  '] })
    expect(await result).toEqual({ output: 'hello world', text: '  hello world  \n' })
  })

  it('parses JSON objects, arrays, numbers, booleans and null', async () => {
    const cases: [string, unknown][] = [
      ['{"a":[1,2],"b":null}', { a: [1, 2], b: null }],
      ['[1,"x"]', [1, 'x']],
      ['42', 42],
      ['true', true],
      ['null', null],
      ['"quoted"', '"quoted"'],
      ['12345678901234567890', '12345678901234567890'],
      ['not json {', 'not json {'],
    ]
    const results = await Promise.all(
      cases.map(([text]) => start(shell, { command: ['printf', '%s\n', text] }).result),
    )
    expect(results.map((r) => r.output)).toEqual(cases.map(([, expected]) => expected))
  })

  it('keeps JSON as text with parseJson: false', async () => {
    const { result } = start(shell, { command: ['printf', '{"a":1}'], parseJson: 'false' })
    expect((await result).output).toBe('{"a":1}')
  })

  it('turns number arguments into text', async () => {
    const { result } = start(shell, { command: ['echo', 7, true] })
    expect((await result).output).toBe('7 true')
  })

  it('writes stdin to the command, and gives it an empty stdin otherwise', async () => {
    expect((await start(shell, { command: ['cat'], stdin: 'piped text' }).result).output).toBe('piped text')
    expect((await start(shell, { command: ['cat'], stdin: { a: 1 } }).result).output).toEqual({ a: 1 })
    // Without stdin, `cat` reads end-of-file at once instead of waiting for a terminal.
    expect((await start(shell, { command: ['cat'] }).result).output).toBe('')
  })
})

describe('logs', () => {
  it('reports stderr lines as log events while the command runs', async () => {
    const { result, events } = start(shell, {
      command: ['sh', '-c', 'echo first >&2; sleep 0.4; echo second >&2; echo out'],
    })
    const first = await eventually(
      () => events.find((e) => e.type === 'log' && e.message === 'first'),
      'the first stderr line',
    )
    expect(events.some((e) => e.type === 'log' && e.message === 'second')).toBe(false)
    await result
    const finishedAt = Date.now()
    expect(finishedAt - first.at).toBeGreaterThanOrEqual(250)
    const logs = events.filter((e) => e.type === 'log')
    expect(logs.map((e) => ({ message: e.message, stream: e.stream }))).toEqual([
      { message: 'first', stream: 'stderr' },
      { message: 'second', stream: 'stderr' },
    ])
  })

  it('reports stdout lines as debug logs with logStdout', async () => {
    const { result, events } = start(shell, { command: ['sh', '-c', 'echo one; echo two'], logStdout: true })
    expect((await result).text).toBe('one\ntwo\n')
    expect(events.filter((e) => e.type === 'log').map((e) => [e.level, e.stream, e.message])).toEqual([
      ['debug', 'stdout', 'one'],
      ['debug', 'stdout', 'two'],
    ])
  })

  it('records stderr lines in the run log', async () => {
    const r = await runWorkflow({ warn: { with: { command: ['sh', '-c', 'echo careful >&2; echo ok'] } } })
    expect(r.summary.status).toBe('succeeded')
    expect(r.events.find((e) => e.type === 'log' && e.taskId === 'warn')?.data).toMatchObject({
      message: 'careful',
      stream: 'stderr',
    })
  })
})

describe('failures', () => {
  it('fails with exit_code, the exit code and the tail of stderr', async () => {
    const { result } = start(shell, {
      command: ['sh', '-c', 'echo line 1 >&2; echo the real reason >&2; exit 3'],
    })
    const err = await result.catch((e) => e)
    expect(err).toBeInstanceOf(BackendError)
    expect(err).toMatchObject({ code: 'exit_code', exitCode: 3, retryable: false })
    expect(err.message).toContain('exited with code 3')
    expect(err.message).toContain('the real reason')
  })

  it('records the exit code on the failed task', async () => {
    const r = await runWorkflow({
      bad: { with: { command: ['sh', '-c', 'exit 4'] } },
      after: { needs: ['bad'], with: { command: ['true'] } },
    })
    expect(r.summary.status).toBe('failed')
    expect(r.tasks.bad!.error).toMatchObject({ code: 'exit_code', exitCode: 4, retryable: false })
    expect(r.tasks.after!.status).toBe('skipped')
  })

  it('fails with not_installed naming the program when it does not exist', async () => {
    const err = await start(shell, { command: ['weft-no-such-program-xyz', '--help'] }).result.catch((e) => e)
    expect(err).toMatchObject({ code: 'not_installed', retryable: false })
    expect(err.message).toContain("'weft-no-such-program-xyz'")
  })

  it('refuses a command given as one string, and says how to use a shell on purpose', async () => {
    const err = await start(shell, { command: 'ls -la | wc -l' }).result.catch((e) => e)
    expect(err).toMatchObject({ code: 'bad_options', retryable: false })
    expect(err.message).toContain('["sh", "-c"')
    const validation = newRuntime().validate({
      weft: 1,
      name: 'x',
      tasks: { a: { backend: 'shell', with: { command: 'ls -la' } } },
    })
    expect(validation.ok).toBe(false)
    expect(validation.diagnostics[0]?.message).toContain('tasks.a.with.command')
    expect(validation.diagnostics[0]?.message).toContain('argument array')
  })

  it('reports an unknown option and a missing command', () => {
    const validation = newRuntime().validate({
      weft: 1,
      name: 'x',
      tasks: { a: { backend: 'shell', with: { comand: ['ls'] } } },
    })
    expect(validation.ok).toBe(false)
    const text = validation.diagnostics.map((d) => d.message).join('\n')
    expect(text).toContain('comand')
    expect(text).toContain('command')
  })
})

describe('environment', () => {
  it('merges env over the environment and runs in cwd relative to the work dir', async () => {
    mkdirSync(join(tmp.dir, 'sub'), { recursive: true })
    const { result } = start(
      shell,
      {
        command: ['sh', '-c', 'echo "$WEFT_TEST_VAR:$WEFT_NUM:$(pwd):${HOME:+home}"'],
        env: { WEFT_TEST_VAR: 'bar', WEFT_NUM: 5 },
        cwd: 'sub',
      },
      tmp.dir,
    )
    expect((await result).output).toBe(`bar:5:${join(tmp.dir, 'sub')}:home`)
  })

  it('fails with bad_options when cwd does not exist', async () => {
    const err = await start(shell, { command: ['true'], cwd: 'missing' }, tmp.dir).result.catch((e) => e)
    expect(err).toMatchObject({ code: 'bad_options' })
    expect(err.message).toContain('missing')
  })
})

describe('no shell injection', () => {
  it('passes template values with shell syntax to the program literally', async () => {
    const marker = join(tmp.dir, 'pwned')
    const evil = `$(touch ${marker}); touch ${marker} && \`touch ${marker}\` | rm -rf ${join(tmp.dir, 'does-not-exist')} > ${marker} ; echo $HOME`
    const r = await runWorkflow(
      {
        echo: { with: { command: ['echo', '${{ inputs.evil }}'] } },
        args: {
          with: {
            command: [
              'node',
              '-e',
              'process.stdout.write(JSON.stringify(process.argv.slice(1)))',
              '${{ inputs.evil }}',
              'x;y',
            ],
          },
        },
      },
      { workflow: { inputs: { evil: { type: 'string' } } }, inputs: { evil } },
    )
    expect(r.summary.status, JSON.stringify(r.tasks)).toBe('succeeded')
    expect(r.tasks.echo!.output).toBe(evil)
    expect(r.tasks.args!.output).toEqual([evil, 'x;y'])
    expect(existsSync(marker)).toBe(false)
  })
})

describe('cancel, timeout and the process tree', () => {
  it('ends the command when the task times out', async () => {
    const pidFile = join(tmp.dir, 'timeout.pid')
    const startedAt = Date.now()
    const r = await runWorkflow({
      slow: { timeoutMs: 400, with: { command: ['sh', '-c', `echo $$ > ${pidFile}; exec sleep 30`] } },
    })
    expect(Date.now() - startedAt).toBeLessThan(5000)
    expect(r.summary.status).toBe('failed')
    expect(r.tasks.slow!.error?.code).toBe('timeout')
    const [pid] = readPids(pidFile)
    expect(pid).toBeGreaterThan(0)
    await eventually(() => !isAlive(pid!), `process ${pid} to end`)
  })

  it('kills grandchildren too when a run is canceled', async () => {
    const pidFile = join(tmp.dir, 'tree.pids')
    const script = `sleep 1000 & echo $! >> ${pidFile}; sleep 1000 & echo $! >> ${pidFile}; echo $$ >> ${pidFile}; wait`
    const rt = newRuntime()
    const run = await rt.start({
      workflow: {
        weft: 1,
        name: 'tree',
        tasks: { tree: { backend: 'shell', with: { command: ['sh', '-c', script] } } },
      },
    })
    const pids = await eventually(
      () => (readPids(pidFile).length === 3 ? readPids(pidFile) : undefined),
      'the script to record its pids',
    )
    expect(pids.every(isAlive)).toBe(true)
    const startedAt = Date.now()
    await rt.cancel(run.id)
    const done = await rt.wait(run.id)
    expect(done.status).toBe('canceled')
    expect(Date.now() - startedAt).toBeLessThan(3000)
    await eventually(() => pids.every((p) => !isAlive(p)), 'every process of the tree to end')
  })

  it('escalates to SIGKILL after killGraceMs when the command ignores SIGTERM', async () => {
    const pidFile = join(tmp.dir, 'stubborn.pid')
    const backend = createShellBackend({ killGraceMs: 300 })
    const { result, controller } = start(backend, {
      command: ['sh', '-c', `trap '' TERM; echo $$ > ${pidFile}; while :; do sleep 0.05; done`],
    })
    const [pid] = await eventually(
      () => (readPids(pidFile).length ? readPids(pidFile) : undefined),
      'the pid file',
    )
    const startedAt = Date.now()
    controller.abort({ kind: 'cancel', message: 'stop it' })
    await expect(result).rejects.toMatchObject({ code: 'canceled', message: 'stop it' })
    const took = Date.now() - startedAt
    expect(took).toBeGreaterThanOrEqual(250)
    expect(took).toBeLessThan(3000)
    await eventually(() => !isAlive(pid!), 'the stubborn process to end')
  })

  it('rejects with timeout when the signal says timeout', async () => {
    const { result, controller } = start(shell, { command: ['sleep', '30'] })
    await sleep(100)
    controller.abort({ kind: 'timeout', message: 'too slow' })
    await expect(result).rejects.toMatchObject({ code: 'timeout', message: 'too slow' })
  })

  it('ends processes the command left behind when it exits', async () => {
    // The background sleep keeps stdout open; without cleanup the task would wait 1000 s.
    const startedAt = Date.now()
    const { result } = start(shell, { command: ['sh', '-c', 'sleep 1000 & echo $!'] })
    const pid = (await result).output as number
    expect(Date.now() - startedAt).toBeLessThan(3000)
    await eventually(() => !isAlive(pid), `left-behind process ${pid} to end`)
  })

  it.each(['SIGTERM', 'SIGINT'] as const)(
    'kills running commands when the host process gets %s',
    async (hostSignal) => {
      const pidFile = join(tmp.dir, `host-${hostSignal}.pids`)
      // The host runs the TypeScript sources through tsx, as a weft process would run the build.
      const tsx = createRequire(import.meta.url).resolve('tsx')
      const fixture = fileURLToPath(new URL('./fixtures/run-until-killed.ts', import.meta.url))
      const host = spawn(process.execPath, ['--conditions=development', '--import', tsx, fixture, pidFile], {
        stdio: 'ignore',
      })
      try {
        const pids = await eventually(
          () => (readPids(pidFile).length === 2 ? readPids(pidFile) : undefined),
          'the host to start the tree',
          15_000,
        )
        expect(pids.every(isAlive)).toBe(true)
        host.kill(hostSignal)
        await eventually(() => pids.every((p) => !isAlive(p)), 'the tree to end with its host')
      } finally {
        if (host.exitCode === null && host.signalCode === null) host.kill('SIGKILL')
      }
    },
  )

  it('dispose ends the commands still running', async () => {
    const backend = createShellBackend({ killGraceMs: 200 })
    const { result } = start(backend, { command: ['sleep', '30'] })
    await sleep(100)
    await backend.dispose!()
    await backend.dispose!()
    await expect(result).rejects.toMatchObject({ code: 'canceled' })
  })
})

describe('pause and resume', () => {
  it('stops and continues the whole process group of an attempt', async () => {
    const pidFile = join(tmp.dir, 'pause.pids')
    const counter = join(tmp.dir, 'counter')
    const goFile = join(tmp.dir, 'pause.go')
    writeFileSync(counter, '0')
    // It counts until told to finish, so a loaded machine cannot let it end before the pause. Shell
    // builtins only: a child that exits while the group is stopped makes the kernel send the
    // (orphaned, setsid) group SIGHUP + SIGCONT — a known gap of pausing, see @weft/process.
    const script = `echo $$ > ${pidFile}; i=0; while [ ! -f ${goFile} ]; do i=$((i+1)); echo $i > ${counter}; done; echo finished`
    const { result, ctx } = start(shell, { command: ['sh', '-c', script] })
    const [pid] = await eventually(
      () => (readPids(pidFile).length ? readPids(pidFile) : undefined),
      'the pid file',
    )
    await eventually(() => Number(readFileSync(counter, 'utf8')) > 2, 'the counter to move')

    await shell.pause!(ctx)
    await eventually(() => processState(pid!) === 'T', 'the process to stop', 15_000)
    const frozen = readFileSync(counter, 'utf8')
    await sleep(200)
    expect(readFileSync(counter, 'utf8')).toBe(frozen)

    await shell.resume!(ctx)
    await eventually(() => processState(pid!) !== 'T', 'the process to continue')
    await eventually(() => readFileSync(counter, 'utf8') !== frozen, 'the counter to move again', 15_000)
    writeFileSync(goFile, 'go')
    await expect(result).resolves.toMatchObject({ output: 'finished' })
  }, 40_000)

  it('pauses with the run and finishes after resume', async () => {
    const pidFile = join(tmp.dir, 'run-pause.pid')
    const goFile = join(tmp.dir, 'run-pause.go')
    const rt = newRuntime()
    // The command waits for a file instead of a fixed time, so a loaded machine cannot let it
    // finish before the pause arrives.
    const run = await rt.start({
      workflow: {
        weft: 1,
        name: 'pause',
        tasks: {
          work: {
            backend: 'shell',
            with: {
              command: [
                'sh',
                '-c',
                // Builtins only (see the test above): no child may exit while the group is stopped.
                `echo $$ > ${pidFile}; while [ ! -f ${goFile} ]; do :; done; echo done`,
              ],
            },
          },
        },
      },
    })
    const [pid] = await eventually(
      () => (readPids(pidFile).length ? readPids(pidFile) : undefined),
      'the pid file',
    )
    await rt.pause(run.id)
    await eventually(() => processState(pid!) === 'T', 'the command to stop', 15_000)
    writeFileSync(goFile, 'go')
    await sleep(400)
    // Stopped: it cannot see the file, so it is still running.
    expect(processState(pid!)).toBe('T')
    expect((await rt.tasks(run.id))[0]!.status).toBe('running')
    await rt.resume(run.id)
    const done = await rt.wait(run.id)
    expect(done.status).toBe('succeeded')
    expect((await rt.tasks(run.id))[0]!.output).toBe('done')
  })
})
