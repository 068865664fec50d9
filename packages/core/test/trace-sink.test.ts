import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { Tracing } from '../src/host/tracing.js'
import {
  BACKEND_SPECIFICATION_VERSION,
  type Backend,
  type BackendCallEnd,
  type BackendCallStart,
  createJsonlTraceSink,
  createRuntime,
  definePlugin,
  defineTraceSink,
  parseTraceparent,
  type RuntimeLifecycleEvent,
  type TaskRequest,
  type WeftEvent,
} from '../src/index.js'
import { testBackend } from './helpers/test-backend.js'

const dirs: string[] = []
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true })
})

const workflow = {
  weft: 1 as const,
  name: 'pair',
  defaults: { backend: 'test' },
  tasks: { a: { prompt: 'a', with: { output: 1 } }, b: { needs: ['a'], prompt: 'b', with: { output: 2 } } },
}

describe('trace sinks', () => {
  it('a sink gets every event, the lifecycle, and each backend call, whose context reaches the backend', async () => {
    const events: WeftEvent[] = []
    const lifecycle: RuntimeLifecycleEvent[] = []
    const calls: BackendCallStart[] = []
    const ends: BackendCallEnd[] = []
    const seen: TaskRequest['trace'][] = []
    const backend = testBackend()
    const execute = backend.execute
    backend.execute = (req, ctx) => {
      seen.push(req.trace)
      return execute(req, ctx)
    }
    let closed = 0
    const sink = defineTraceSink({
      name: 'recorder',
      event: (e) => events.push(e),
      lifecycle: (e) => lifecycle.push(e),
      backendCall(call) {
        calls.push(call)
        return {
          context: { traceparent: `00-${'1'.repeat(32)}-${String(calls.length).padStart(16, '0')}-01` },
          end: (outcome) => ends.push(outcome),
        }
      },
      async close() {
        closed++
      },
    })
    const runtime = createRuntime({ backends: [backend], traceSink: sink })
    const fromListener: string[] = []
    runtime.onLifecycle((e) => fromListener.push(e.type))
    const run = await runtime.start({
      workflow,
      trace: { traceparent: `00-${'a'.repeat(32)}-${'b'.repeat(16)}-01` },
    })
    await runtime.wait(run.id)
    const late: string[] = []
    runtime.onLifecycle((e) => late.push(e.type))
    await runtime.close()

    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1))
    const created = events.find((e) => e.type === 'run.created')
    expect(created?.data).toMatchObject({
      trace: { traceparent: `00-${'a'.repeat(32)}-${'b'.repeat(16)}-01` },
    })
    expect(calls.map((c) => [c.taskId, c.attempt, c.backend])).toEqual([
      ['a', 1, 'test'],
      ['b', 1, 'test'],
    ])
    expect(ends.map((e) => e.ok)).toEqual([true, true])
    expect(seen.map((t) => t?.traceparent.slice(-19))).toEqual(['0000000000000001-01', '0000000000000002-01'])
    expect(lifecycle.map((e) => e.type)).toEqual(['runtime.started', 'runtime.stopped'])
    expect(lifecycle[0]).toMatchObject({ data: { backends: ['test'] } })
    expect(fromListener).toEqual(['runtime.started', 'runtime.stopped'])
    expect(late).toEqual(['runtime.started', 'runtime.stopped'])
    expect(closed).toBe(1)
  })

  it('a sink that throws is a warning; the run and the other sinks go on', async () => {
    const warnings: string[] = []
    const good: string[] = []
    const runtime = createRuntime({
      backends: [testBackend()],
      reporter: { warn: (m) => warnings.push(m) },
      traceSink: [
        defineTraceSink({
          name: 'broken',
          event: () => {
            throw new Error('nope')
          },
          backendCall: () => {
            throw new Error('nope either')
          },
        }),
        defineTraceSink({ name: 'good', event: (e) => good.push(e.type) }),
      ],
    })
    const run = await runtime.start({ workflow })
    expect((await runtime.wait(run.id)).status).toBe('succeeded')
    await runtime.close()
    expect(good).toContain('run.succeeded')
    expect(warnings.some((w) => w.includes('broken') && w.includes('nope'))).toBe(true)
  })

  it('a backend that is a class with private fields still works behind a sink that follows calls', async () => {
    class Counting implements Backend {
      readonly specificationVersion = BACKEND_SPECIFICATION_VERSION
      readonly id = 'counting'
      readonly label = 'counting'
      readonly capabilities = testBackend().capabilities
      #estimates = 0
      #runs = 0
      estimate() {
        this.#estimates++
        return { inputTokens: 1, outputTokens: 1 }
      }
      async execute() {
        this.#runs++
        return { output: [this.#estimates, this.#runs] }
      }
    }
    const ended: boolean[] = []
    const runtime = createRuntime({
      backends: [new Counting()],
      traceSink: defineTraceSink({
        name: 'calls',
        event: () => {},
        backendCall: () => ({ end: (o) => ended.push(o.ok) }),
      }),
    })
    const run = await runtime.start({
      workflow: { weft: 1, name: 'c', tasks: { a: { backend: 'counting' } } },
    })
    const done = await runtime.wait(run.id)
    await runtime.close()
    expect(done.status).toBe('succeeded')
    expect(done.outputs?.a).toEqual([1, 1])
    expect(ended).toEqual([true])
  })

  it('createJsonlTraceSink writes events and lifecycle records as JSON lines', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'weft-jsonl-'))
    dirs.push(dir)
    const path = join(dir, 'traces', 'weft.jsonl')
    const runtime = createRuntime({ backends: [testBackend()], traceSink: createJsonlTraceSink({ path }) })
    const run = await runtime.start({ workflow })
    await runtime.wait(run.id)
    const stored = await runtime.store.events.read(run.id, {})
    await runtime.close()
    const lines = (await readFile(path, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
    expect(lines[0].type).toBe('runtime.started')
    expect(lines.at(-1).type).toBe('runtime.stopped')
    expect(lines.filter((l) => l.runId === run.id)).toEqual(JSON.parse(JSON.stringify(stored)))
  })

  it('a sink that never finishes flushing does not hold the shutdown, and a broken plugin sink is a warning', async () => {
    const warnings: string[] = []
    const stuck = defineTraceSink({
      name: 'stuck',
      event: () => {},
      flush: () => new Promise<void>(() => {}),
    })
    await new Tracing(
      [stuck],
      (m) => warnings.push(m),
      () => new Date().toISOString(),
    ).stop(50)
    expect(warnings).toEqual(['trace sink stuck did not flush within 50 ms; what it still held is lost'])

    const runtime = createRuntime({
      backends: [testBackend()],
      reporter: { warn: (m) => warnings.push(m) },
      plugins: [
        definePlugin({
          name: 'broken-tracing',
          traceSink: () => {
            throw new Error('no endpoint')
          },
        }),
      ],
    })
    const run = await runtime.start({ workflow })
    expect((await runtime.wait(run.id)).status).toBe('succeeded')
    await runtime.close()
    expect(warnings.at(-1)).toBe('plugin broken-tracing: its trace sink could not be created: no endpoint')
  })

  it('parseTraceparent takes W3C version 00 headers and nothing else', () => {
    const ok = `00-${'4bf92f3577b34da6a3ce929d0e0e4736'}-${'00f067aa0ba902b7'}-01`
    expect(parseTraceparent(ok, 'k=v')).toEqual({ traceparent: ok, tracestate: 'k=v' })
    expect(parseTraceparent(ok.toUpperCase())).toEqual({ traceparent: ok })
    expect(parseTraceparent(`00-${'0'.repeat(32)}-00f067aa0ba902b7-01`)).toBeUndefined()
    expect(parseTraceparent('garbage')).toBeUndefined()
    expect(parseTraceparent(undefined)).toBeUndefined()
  })
})
