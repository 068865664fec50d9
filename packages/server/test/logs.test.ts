/**
 * The server's log is JSON lines: nothing else may reach the process's stderr while it serves
 * (issue 18: the YAML library printed its warnings as plain text into the server's JSON log).
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import { call, useHarness } from './helpers.js'

const h = useHarness({ memory: true })
afterEach(() => {
  vi.restoreAllMocks()
})

/** Workflow texts that make the YAML library warn (a collection as a mapping key, odd tags, …). */
const WARNING_TEXTS = [
  'weft: 1\nname: w\ntasks:\n  ? [a, b]\n  : { backend: mock }\n',
  'weft: 1\nname: w\ntasks:\n  a: { backend: mock, prompt: !weird x }\n',
  'weft: 1\nname: w\n? { x: 1 }\n: 2\ntasks: {}\n',
  `weft: 1\nname: w\n# ${'x'.repeat(40 * 1024)}\ntasks:\n  ? [a, b]\n  : { backend: mock }\n`, // parsed on the worker
]

describe('YAML warnings', () => {
  it('never reach stderr as text: they are diagnostics (or JSON log records)', async () => {
    const emitted: unknown[] = []
    vi.spyOn(process, 'emitWarning').mockImplementation((w: unknown) => {
      emitted.push(w)
    })
    vi.spyOn(console, 'warn').mockImplementation((...args: unknown[]) => {
      emitted.push(args)
    })
    const writes: string[] = []
    const write = process.stderr.write.bind(process.stderr)
    vi.spyOn(process.stderr, 'write').mockImplementation(((chunk: unknown, ...rest: unknown[]) => {
      writes.push(String(chunk))
      return (write as (...a: unknown[]) => boolean)(chunk, ...rest)
    }) as typeof process.stderr.write)
    for (const text of WARNING_TEXTS) {
      const r = await call(h.url, '/api/v1/runs', { json: { workflow: text } })
      expect(r.status).toBeLessThan(500)
      if (r.status === 400) expect(r.body.error.details.diagnostics.length).toBeGreaterThan(0)
    }
    expect(emitted).toEqual([])
    expect(writes.filter((w) => !w.trim().startsWith('{'))).toEqual([])
  })
})
