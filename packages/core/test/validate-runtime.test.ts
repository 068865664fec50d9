/**
 * The defects of issue 18 item 6 through the runtime, as the CLI and the server reach them:
 * `start` refuses with `workflow_invalid` and every diagnostic, runs nothing, and nothing else
 * is thrown.
 */
import { describe, expect, it } from 'vitest'
import { isWeftError, parseWorkflowText, type WeftError } from '../src/index.js'
import { makeRuntime, testBackend } from './helpers/test-backend.js'

async function refusal(p: Promise<unknown>): Promise<WeftError> {
  try {
    await p
  } catch (err) {
    if (isWeftError(err)) return err as WeftError
    throw err
  }
  throw new Error('the run started')
}

const codes = (err: WeftError) => err.diagnostics.map((d) => d.code)

describe('runtime.start refuses crafted workflows', () => {
  it('a YAML task __proto__ that another task needs', async () => {
    const { runtime } = makeRuntime()
    const doc = parseWorkflowText(
      'weft: 1\nname: p\ndefaults: { backend: test }\ntasks:\n  __proto__: {}\n  b: { needs: [__proto__] }\n',
    )
    const err = await refusal(runtime.start({ workflow: doc.value as never }, { locate: doc.locate }))
    expect(err.code).toBe('workflow_invalid')
    expect(codes(err)).toEqual(['task_id_reserved'])
    expect((await runtime.list()).items).toEqual([])
    await runtime.close()
  })

  it('a JSON task __proto__ (it used to "succeed" having run nothing)', async () => {
    const { runtime } = makeRuntime()
    const workflow = JSON.parse(
      '{"weft":1,"name":"p","defaults":{"backend":"test"},"tasks":{"__proto__":{}}}',
    )
    const err = await refusal(runtime.start({ workflow }))
    expect(codes(err)).toEqual(['task_id_reserved'])
    await runtime.close()
  })

  it('a when of 10,000 ! and of 10,000 chained &&', async () => {
    const { runtime } = makeRuntime()
    for (const expr of ['!'.repeat(10_000) + 'true', Array(10_000).fill('true').join(' && ')]) {
      const workflow = {
        weft: 1 as const,
        name: 'w',
        defaults: { backend: 'test' },
        tasks: { a: { when: `\${{ ${expr} }}` } },
      }
      const err = await refusal(runtime.start({ workflow }))
      expect(codes(err)).toEqual(['template_too_long'])
    }
    await runtime.close()
  })

  it('agents named like Object.prototype members', async () => {
    const { runtime } = makeRuntime({ agents: { writer: { backend: 'test' } } })
    for (const agent of ['toString', '__proto__', 'hasOwnProperty']) {
      const workflow = { weft: 1 as const, name: 'a', defaults: { backend: 'test' }, tasks: { a: { agent } } }
      const err = await refusal(runtime.start({ workflow }))
      expect(codes(err)).toEqual(['unknown_agent'])
    }
    await runtime.close()
  })

  it('a command from an input, for a backend that declares its command fields', async () => {
    const { runtime } = makeRuntime({ backends: [{ ...testBackend('runner'), commandFields: ['command'] }] })
    const workflow = {
      weft: 1 as const,
      name: 'c',
      inputs: { cmd: { type: 'array' as const } },
      tasks: { a: { backend: 'runner', with: { command: '${{ inputs.cmd }}' } } },
    }
    const err = await refusal(runtime.start({ workflow, inputs: { cmd: ['id'] } }))
    expect(codes(err)).toEqual(['command_from_input'])
    const run = await runtime.start({
      workflow: { ...workflow, allowInputCommands: true },
      inputs: { cmd: ['id'] },
    })
    expect((await runtime.wait(run.id)).status).toBe('succeeded')
    await runtime.close()
  })
})
