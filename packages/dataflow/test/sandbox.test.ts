import { describe, expect, it } from 'vitest'
import { compileExpression, type DataflowEvent, loadQuickJS, SandboxError } from '../src/index.js'
import { graph, run } from './helpers.js'

const errorsOf = (events: readonly DataflowEvent[]) =>
  events
    .filter((e): e is Extract<DataflowEvent, { type: 'node.error' }> => e.type === 'node.error')
    .map((e) => e.message)

/** Every hostile map expression fails with its own clear error; the good messages around it still flow. */
describe('the sandbox', () => {
  const hostile: [string, string, RegExp][] = [
    [
      'a prototype walk to process',
      'value.constructor.constructor("return process")()',
      /'process' is not defined: the sandbox has no Node.js globals/,
    ],
    [
      'this walk to process',
      '(function(){ return this.constructor.constructor("return process.env")() })()',
      /'process' is not defined/,
    ],
    [
      'require',
      'require("fs").readFileSync("/etc/passwd", "utf8")',
      /'require' is not defined: the sandbox has no Node.js globals/,
    ],
    ['dynamic import', 'import("fs")', /import is not available in the sandbox/],
    [
      'an infinite loop',
      '(() => { while (true) {} })()',
      /ran longer than its limit of 100 ms and was stopped/,
    ],
    [
      'a memory bomb',
      '(() => { const a = []; for (;;) a.push({ i: a.length, s: "abc" + a.length }) })()',
      /used more than its memory limit of 8 MiB/,
    ],
    [
      'deep recursion',
      '(function f(n) { return f(n + 1) + 1 })(0)',
      /recursed deeper than the sandbox's stack allows|ran longer/,
    ],
  ]

  for (const [what, expression, message] of hostile) {
    it(`stops ${what} with a clear error while the execution goes on`, async () => {
      // `value === 0` and `value === 2` are harmless messages before and after the hostile one.
      const doc = graph(
        {
          src: { component: 'input' },
          m: {
            component: 'map',
            onError: 'drop',
            with: {
              expression: `value === 1 ? (${expression}) : value * 10`,
              // The memory bomb gets time enough to reach its memory limit on a loaded machine.
              sandbox: { timeoutMs: what === 'a memory bomb' ? 20_000 : 100, memoryMb: 8 },
            },
          },
          sink: { component: 'output' },
        },
        ['src.out -> m.in', 'm.out -> sink.in'],
      )
      const r = await run(doc, [0, 1, 2])
      expect(r.snapshot.state).toBe('completed')
      expect(r.values).toEqual([0, 20])
      expect(errorsOf(r.execution.events())).toEqual([expect.stringMatching(message)])
    })
  }

  it('reaches no host object from the fast path either: member access reads own properties only', async () => {
    const r = await run(
      graph(
        {
          src: { component: 'input' },
          m: { component: 'map', with: { expression: 'value.constructor' } },
          sink: { component: 'output' },
        },
        ['src.out -> m.in', 'm.out -> sink.in'],
      ),
      [{}],
    )
    expect(r.values).toEqual([null])
  })

  it('refuses a static import and reports syntax errors as such', async () => {
    await loadQuickJS()
    expect(() => compileExpression('import fs from "fs"')).toThrow(SandboxError)
    try {
      compileExpression('value +* 2')
    } catch (err) {
      expect((err as SandboxError).kind).toBe('syntax')
    }
  })

  it('runs inline component source with state, emits and logs, and limits it too', async () => {
    const source = `
      let total = 0
      function initialize(ctx) { ctx.log('info', 'ready') }
      function process(ctx, port, value) {
        if (value === 'loop') { for (;;) {} }
        if (value === 'escape') { return globalThis.constructor.constructor('return require')()('child_process') }
        total += value
        ctx.setState('last', value)
        ctx.emit('out', total)
        if (total > 5) ctx.emit('big', { total, last: ctx.getState('last') })
      }
      function flush(ctx) { ctx.emit('out', 'done:' + total) }
    `
    const doc = graph(
      {
        src: { component: 'input' },
        s: {
          component: 'script',
          onError: 'route',
          with: { source, outputs: ['out', 'big'], sandbox: { timeoutMs: 100, memoryMb: 16 } },
        },
        sink: { component: 'output' },
        big: { component: 'output' },
        errors: { component: 'output' },
      },
      ['src.out -> s.in', 's.out -> sink.in', 's.big -> big.in', 's.error -> errors.in'],
    )
    const r = await run(doc, [1, 2, 'loop', 3, 'escape', 4])
    const by = (n: string) => r.outputs.filter((o) => o.node === n).map((o) => o.value)
    expect(by('sink')).toEqual([1, 3, 6, 10, 'done:10'])
    expect(by('big')).toEqual([
      { total: 6, last: 3 },
      { total: 10, last: 4 },
    ])
    expect(by('errors').map((e) => (e as { error: string }).error)).toEqual([
      expect.stringMatching(/process\(\) of node 's' ran longer than its limit of 100 ms/),
      expect.stringMatching(/'require' is not defined/),
    ])
    expect(r.execution.events().find((e) => e.type === 'node.log')).toMatchObject({
      nodeId: 's',
      message: 'ready',
    })
  })
})
