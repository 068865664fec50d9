import type { BackendEvent } from '@weft/spec'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { beginCliAttempt } from '../src/index.js'
import { attempt } from './attempt.js'

describe('beginCliAttempt', () => {
  const schema = z
    .object({ stub: z.boolean().optional(), logRaw: z.boolean().optional(), model: z.string().optional() })
    .strict()
  const setup = (transcript: string | readonly string[], defaults?: { model?: string }) => ({
    id: 'cli',
    schema,
    defaults,
    canceled: 'the run was canceled',
    stubOf: (options: { stub?: boolean | undefined }) => options.stub === true,
    stubMessage: 'stub mode: replaying a recorded transcript, no CLI run',
    transcript,
    parser: (emit: (e: BackendEvent) => void, options: z.output<typeof schema>) => {
      const lines: string[] = []
      return { lines, emit, logRaw: options.logRaw === true, onLine: (line: string) => lines.push(line) }
    },
  })

  it('parses `with` over the defaults and makes the parser over the attempt', () => {
    const a = attempt({ logRaw: true })
    const live = beginCliAttempt(a.request, a.ctx, setup('one\ntwo', { model: 'm1' }))
    expect(live).toMatchObject({ options: { logRaw: true, model: 'm1' }, stubbed: false })
    expect(live.parser).toMatchObject({ logRaw: true, lines: [] })
    const b = attempt({ model: 'm2' })
    expect(beginCliAttempt(b.request, b.ctx, setup('', { model: 'm1' })).options.model).toBe('m2')
    expect(a.events).toEqual([])
  })

  it('in stub mode logs so and feeds the transcript, text or lines, to the parser', () => {
    const a = attempt({ stub: true })
    const text = beginCliAttempt(a.request, a.ctx, setup('one\ntwo'))
    expect(text.stubbed).toBe(true)
    expect(text.parser.lines).toEqual(['one', 'two'])
    expect(a.events).toEqual([
      { type: 'log', level: 'info', message: 'stub mode: replaying a recorded transcript, no CLI run' },
    ])
    const b = attempt({ stub: true })
    expect(beginCliAttempt(b.request, b.ctx, setup(['x', 'y'])).parser.lines).toEqual(['x', 'y'])
  })

  it('refuses bad options and an aborted signal', () => {
    const bad = attempt({ nope: 1 })
    expect(() => beginCliAttempt(bad.request, bad.ctx, setup(''))).toThrow(
      expect.objectContaining({ code: 'bad_options' }),
    )
    const controller = new AbortController()
    controller.abort()
    const aborted = attempt({}, controller.signal)
    expect(() => beginCliAttempt(aborted.request, aborted.ctx, setup(''))).toThrow(
      expect.objectContaining({ code: 'canceled', retryable: false }),
    )
  })
})
