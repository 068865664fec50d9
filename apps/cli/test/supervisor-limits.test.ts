import { describe, expect, it } from 'vitest'
import { limitedCommand } from '../src/supervisor/limits.js'
import { createWorkspace, runCli } from './helpers/cli.js'

// The command line `weft agents up` starts each worker with. That the limits hold in the running
// process (/proc/PID/limits, cmdline, Cpus_allowed_list) is checked in agents.test.ts.
const node = {
  execPath: '/usr/bin/node',
  nodeArgs: ['--max-old-space-size=64', '--conditions=development'],
  script: 'bin.js',
  args: ['worker', '--name', 'w-1'],
}
const all = () => true

describe('limitedCommand', () => {
  it('wraps node in nice, taskset and prlimit, each exec-ing the next, and sets the worker heap', () => {
    const c = limitedCommand(node, { memoryMb: 300, cpus: '0-1', nice: 5 }, all)
    expect([c.command, ...c.args]).toEqual([
      'nice',
      '-n',
      '5',
      'taskset',
      '-c',
      '0-1',
      'prlimit',
      `--data=${600 * 1024 * 1024}`,
      '--',
      '/usr/bin/node',
      '--conditions=development',
      '--max-old-space-size=300',
      'bin.js',
      'worker',
      '--name',
      'w-1',
    ])
    expect(c.enforced).toEqual(['nice 5', 'CPUs 0-1', 'heap 300 MB', 'data 600 MB per process'])
  })

  it('without limits, runs node as is (without the supervisor’s own heap flag)', () => {
    const c = limitedCommand(node, {}, all)
    expect([c.command, ...c.args]).toEqual([
      '/usr/bin/node',
      '--conditions=development',
      'bin.js',
      'worker',
      '--name',
      'w-1',
    ])
    expect(c.enforced).toEqual([])
  })

  it('without prlimit keeps the heap limit and says so; --cpus without taskset and bad values are errors', () => {
    const noPrlimit = limitedCommand(node, { memoryMb: 100 }, (t) => t !== 'prlimit')
    expect(noPrlimit.command).toBe('/usr/bin/node')
    expect(noPrlimit.args).toContain('--max-old-space-size=100')
    expect(noPrlimit.warnings[0]).toMatch(/prlimit was not found/)
    expect(() => limitedCommand(node, { cpus: '0' }, (t) => t !== 'taskset')).toThrow(
      /--cpus needs `taskset`/,
    )
    expect(() => limitedCommand(node, { cpus: 'all' }, all)).toThrow(/expected a CPU list/)
    expect(() => limitedCommand(node, { nice: 40 }, all)).toThrow(/from -20 to 19/)
  })
})

describe('weft agents up: input', () => {
  it('needs a count and a store workers share (exit 2 / 1 with a hint)', async () => {
    const ws = createWorkspace()
    try {
      const noCount = await runCli(['agents', 'up', '--store', 'postgres://nobody@127.0.0.1:1/none'], {
        cwd: ws.dir,
        env: {},
      })
      expect(noCount.code).toBe(2)
      expect(noCount.stderr).toContain('pass --count N')
      const sqlite = await runCli(['agents', 'up', '--count', '2'], { cwd: ws.dir, env: { WEFT_STORE: '' } })
      expect(sqlite.code).toBe(1)
      expect(sqlite.stderr).toContain('agents need a store shared by workers, e.g. --store postgres://…')
      // A worker started wrongly exits 2: restarting it would fail the same way, so it is not.
      const wrong = await runCli(
        [
          'agents',
          'up',
          '--count',
          '1',
          '--store',
          'postgres://nobody@127.0.0.1:1/none',
          '--backends',
          'nosuch',
        ],
        { cwd: ws.dir, env: {} },
      )
      expect(wrong.code).toBe(2)
      expect(wrong.stderr).toContain("unknown backend 'nosuch'")
      expect(wrong.stderr).toMatch(
        /-1 exited with code 2 \(invalid input; it would fail the same way again\): not restarted/,
      )
      expect(wrong.stderr).not.toContain('restarting in')
    } finally {
      ws.cleanup()
    }
  })
})
