import {
  COMPACTION_STRATEGIES,
  type CompactionStrategy,
  type ContextRequest,
  type Json,
  type UpstreamOutput,
} from '@weft/core'
import { describe, expect, it } from 'vitest'
import { ContextError, createContextPipeline } from '../src/index.js'
import { countChars4, countWords, fakeTools, fanIn } from './fixtures.js'

/**
 * A request whose `from` entries and upstream tasks route to exactly these sources, so the
 * compaction tests can think in sources while the pipeline routes as it does in a run.
 */
const request = ({
  sources = fanIn(),
  ...over
}: Partial<ContextRequest> & { sources?: UpstreamOutput[] } = {}): ContextRequest => {
  const upstream: ContextRequest['upstream'] = {}
  const from: string[] = []
  for (const s of sources) {
    const path = s.label
      .replace(/^tasks\./, '')
      .split('.')
      .slice(1)
    let output: Json = s.value
    for (const key of [...path].reverse()) output = { [key]: output }
    const previous = upstream[s.taskId]?.output
    upstream[s.taskId] = {
      status: 'succeeded',
      output:
        previous && typeof previous === 'object' && typeof output === 'object'
          ? { ...(previous as object), ...(output as object) }
          : output,
      ...(s.completedAt ? { completedAt: s.completedAt } : {}),
    }
    from.push(s.label.replace(/^tasks\./, ''))
  }
  return { runId: 'run-1', taskId: 'write', maxTokens: 100, strategy: 'keep-head', from, upstream, ...over }
}

const NOTE = /\[… (\d+) tokens cut …\]/

describe('under the cap', () => {
  it('returns every source untouched, labelled, with no compaction', async () => {
    const { tools, calls } = fakeTools()
    const sources = fanIn()
    const result = await createContextPipeline().build(
      request({ maxTokens: 10_000, strategy: 'summarize' }),
      tools,
    )

    expect(result.compaction).toBeUndefined()
    expect(calls).toEqual([])
    const expected = [
      `## tasks.research\n${sources[0]!.value}`,
      `## tasks.plan.stops\n${JSON.stringify(sources[1]!.value, null, 2)}`,
      `## tasks.weather\n${JSON.stringify(sources[2]!.value, null, 2)}`,
      `## tasks.budget\n${sources[3]!.value}`,
    ].join('\n\n')
    expect(result.context.text).toBe(expected)
    expect(result.context.tokens).toBe(countWords(expected))
    expect(result.context.sources.map((s) => s.label)).toEqual([
      'tasks.research',
      'tasks.plan.stops',
      'tasks.weather',
      'tasks.budget',
    ])
    for (const s of result.context.sources) {
      expect(s).not.toHaveProperty('truncated')
      expect(s).not.toHaveProperty('dropped')
      expect(s).not.toHaveProperty('summarized')
    }
    expect(result.context.sources.reduce((n, s) => n + s.tokens, 0)).toBe(result.context.tokens)
  })

  it('puts the run inputs first, as pretty JSON under "## inputs"', async () => {
    const { tools } = fakeTools()
    const result = await createContextPipeline().build(
      request({ maxTokens: 10_000, sources: fanIn().slice(2, 3), inputs: { city: 'Lisbon', days: 2 } }),
      tools,
    )
    expect(result.context.text).toBe(
      '## inputs\n{\n  "city": "Lisbon",\n  "days": 2\n}\n\n## tasks.weather\n' +
        JSON.stringify(fanIn()[2]!.value, null, 2),
    )
    expect(result.context.sources.map((s) => s.label)).toEqual(['inputs', 'tasks.weather'])
  })

  it('gives an empty context for no sources', async () => {
    const result = await createContextPipeline().build(request({ sources: [] }), fakeTools().tools)
    expect(result).toEqual({ context: { text: '', tokens: 0, sources: [] } })
  })

  it('honours the separator and header template options', async () => {
    const pipeline = createContextPipeline({ separator: '\n---\n', headerTemplate: '<<{label}>>' })
    const result = await pipeline.build(
      request({ maxTokens: 1000, sources: [fanIn()[2]!, { taskId: 'x', label: 'tasks.x', value: 'hi' }] }),
      fakeTools().tools,
    )
    expect(result.context.text).toBe(
      `<<tasks.weather>>\n${JSON.stringify(fanIn()[2]!.value, null, 2)}\n---\n<<tasks.x>>\nhi`,
    )
    const fn = createContextPipeline({ headerTemplate: (label) => `# ${label.toUpperCase()}` })
    const r2 = await fn.build(
      request({ sources: [{ taskId: 'x', label: 'tasks.x', value: 7 }] }),
      fakeTools().tools,
    )
    expect(r2.context.text).toBe('# TASKS.X\n7')
  })
})

describe.each([
  { counter: 'words', countTokens: countWords, cap: 100 },
  { counter: 'chars/4', countTokens: countChars4, cap: 250 },
])('a fan-in of 4 outputs over the cap ($counter)', ({ countTokens, cap }) => {
  it.each(COMPACTION_STRATEGIES)(
    '%s compacts it within the cap, with a truthful report',
    async (strategy) => {
      const { tools } = fakeTools(countTokens)
      const full = await createContextPipeline().build(request({ maxTokens: 1e9 }), tools)
      const result = await createContextPipeline().build(request({ maxTokens: cap, strategy }), tools)
      const { context, compaction } = result

      expect(full.context.tokens).toBeGreaterThan(cap)
      expect(countTokens(context.text)).toBe(context.tokens)
      expect(context.tokens).toBeLessThanOrEqual(cap)
      expect(context.tokens).toBeGreaterThan(0)
      expect(compaction).toEqual({
        strategy,
        beforeTokens: full.context.tokens,
        afterTokens: context.tokens,
        dropped: context.sources.filter((s) => s.dropped).map((s) => s.label),
      })
      expect(context.sources).toHaveLength(4)
      // Something was given up, and the report says where.
      expect(context.sources.some((s) => s.truncated || s.dropped || s.summarized)).toBe(true)
      for (const s of context.sources) {
        if (s.dropped) {
          expect(s.tokens).toBe(0)
          expect(context.text).not.toContain(`## ${s.label}\n`)
        } else {
          expect(context.text).toContain(`## ${s.label}`)
        }
      }
      // Deterministic: the same request gives the same result.
      expect(
        await createContextPipeline().build(
          request({ maxTokens: cap, strategy }),
          fakeTools(countTokens).tools,
        ),
      ).toEqual(result)
    },
  )

  it.each(COMPACTION_STRATEGIES)('%s stays within every cap from 1 up', async (strategy) => {
    const { tools } = fakeTools(countTokens)
    const full = (await createContextPipeline().build(request({ maxTokens: 1e9 }), tools)).context.tokens
    for (const maxTokens of [1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144, Math.floor(full / 2), full - 1]) {
      const result = await createContextPipeline().build(request({ maxTokens, strategy }), tools)
      expect(result.context.tokens, `cap ${maxTokens}`).toBeLessThanOrEqual(maxTokens)
      expect(countTokens(result.context.text)).toBe(result.context.tokens)
      expect(result.compaction?.strategy).toBe(strategy)
    }
  })
})

describe('keep-head, keep-tail, middle-out', () => {
  const build = (strategy: CompactionStrategy) =>
    createContextPipeline().build(request({ maxTokens: 100, strategy }), fakeTools().tools)

  it('keep-head keeps the beginning and marks the cut, at a line boundary', async () => {
    const { context } = await build('keep-head')
    const full = (await createContextPipeline().build(request({ maxTokens: 1e9 }), fakeTools().tools)).context
      .text
    const [head, cut] = context.text.split(/\n?\[… \d+ tokens cut …\]/)
    expect(context.text.startsWith('## tasks.research\nresearch note 1 says')).toBe(true)
    expect(context.text).toMatch(/\n\[… \d+ tokens cut …\]$/)
    expect(cut).toBe('')
    expect(full.startsWith(`${head}\n`)).toBe(true)
    // The note counts what was removed.
    const removed = full.slice(head!.length + 1)
    expect(Number(NOTE.exec(context.text)![1])).toBe(countWords(removed))
    // The cut falls after a whole line of research; everything after it is gone.
    expect(head!.endsWith('research note 9 says the research matters a great deal.')).toBe(true)
    expect(context.sources.map((s) => [s.label, !!s.truncated, !!s.dropped])).toEqual([
      ['tasks.research', true, false],
      ['tasks.plan.stops', false, true],
      ['tasks.weather', false, true],
      ['tasks.budget', false, true],
    ])
  })

  it('keep-tail keeps the end', async () => {
    const { context, compaction } = await build('keep-tail')
    expect(context.text).toMatch(/^\[… \d+ tokens cut …\]\n/)
    expect(context.text.endsWith('budget note 8 says the budget matters a great deal.')).toBe(true)
    expect(context.text).toContain('## tasks.budget\n')
    expect(compaction?.dropped).toContain('tasks.research')
    expect(context.sources.at(-1)).toEqual({
      label: 'tasks.budget',
      tokens: countWords(`## tasks.budget\n${fanIn()[3]!.value}`),
    })
  })

  it('middle-out keeps both ends and cuts the middle', async () => {
    const { context, compaction } = await build('middle-out')
    expect(context.text.startsWith('## tasks.research\n')).toBe(true)
    expect(context.text.endsWith('budget note 8 says the budget matters a great deal.')).toBe(true)
    expect(context.text).toMatch(/\n\[… \d+ tokens cut …\]\n/)
    expect(context.sources[0]).toMatchObject({ label: 'tasks.research', truncated: true })
    expect(context.sources[3]).toMatchObject({ label: 'tasks.budget', truncated: true })
    expect(compaction?.dropped).toEqual(['tasks.plan.stops', 'tasks.weather'])
  })

  it('cuts a long single line without a note when even the note does not fit', async () => {
    const { context } = await createContextPipeline().build(
      request({
        maxTokens: 3,
        sources: [{ taskId: 'a', label: 'tasks.a', value: 'one two three four five six' }],
      }),
      fakeTools().tools,
    )
    expect(context.text).toBe('## tasks.a\none')
    expect(context.sources).toEqual([{ label: 'tasks.a', tokens: 3, truncated: true }])
  })
})

describe('drop-oldest-source', () => {
  it('drops whole sources by completedAt, oldest first, until the rest fits', async () => {
    const sources = fanIn()
    const { context, compaction } = await createContextPipeline().build(
      request({ maxTokens: 160, strategy: 'drop-oldest-source' }),
      fakeTools().tools,
    )
    // budget (10:00) and plan (10:01) are the oldest, although plan comes second in `from`.
    expect(compaction?.dropped).toEqual(['tasks.plan.stops', 'tasks.budget'])
    expect(context.text).toBe(
      `## tasks.research\n${sources[0]!.value}\n\n## tasks.weather\n${JSON.stringify(sources[2]!.value, null, 2)}`,
    )
    expect(context.sources.map((s) => [s.label, !!s.dropped])).toEqual([
      ['tasks.research', false],
      ['tasks.plan.stops', true],
      ['tasks.weather', false],
      ['tasks.budget', true],
    ])
  })

  it('drops in `from` order when there is no completedAt', async () => {
    const sources = fanIn().map(({ completedAt: _, ...s }) => s)
    const { compaction } = await createContextPipeline().build(
      request({ maxTokens: 160, strategy: 'drop-oldest-source', sources }),
      fakeTools().tools,
    )
    expect(compaction?.dropped).toEqual(['tasks.research'])
  })

  it('cuts the last source with keep-head when it alone is over the cap, and keeps the inputs', async () => {
    const { context, compaction } = await createContextPipeline().build(
      request({ maxTokens: 40, strategy: 'drop-oldest-source', inputs: { city: 'Lisbon' } }),
      fakeTools().tools,
    )
    expect(compaction?.dropped).toEqual(['tasks.plan.stops', 'tasks.weather', 'tasks.budget'])
    expect(context.tokens).toBeLessThanOrEqual(40)
    expect(
      context.text.startsWith('## inputs\n{\n  "city": "Lisbon"\n}\n\n## tasks.research\nresearch note 1'),
    ).toBe(true)
    expect(context.text).toMatch(NOTE)
    expect(context.sources[0]).toEqual({
      label: 'inputs',
      tokens: countWords('## inputs\n{\n  "city": "Lisbon"\n}'),
    })
    expect(context.sources[1]).toMatchObject({ label: 'tasks.research', truncated: true })
  })
})

describe('summarize', () => {
  it('summarizes the largest sources one by one, until it fits, and marks them', async () => {
    const { tools, calls } = fakeTools()
    const sources = fanIn()
    const { context, compaction } = await createContextPipeline().build(
      request({ maxTokens: 160, strategy: 'summarize' }),
      tools,
    )
    // Bodies: research 120 words, budget 80, plan.stops 57, weather 15; headers 8. The cap leaves
    // 152 for the bodies, a fair share of 38 each. research is asked for 38 (the others alone
    // take 152), then budget for the 42 the others leave; then it fits.
    expect(calls).toEqual([
      { text: sources[0]!.value, maxTokens: 38 },
      { text: sources[3]!.value, maxTokens: 42 },
    ])
    expect(context.tokens).toBeLessThanOrEqual(160)
    expect(context.text).toContain('## tasks.research\nSummary: research note 1')
    expect(context.text).toContain('## tasks.budget\nSummary: budget note 1')
    expect(context.text).toContain(`## tasks.plan.stops\n${JSON.stringify(sources[1]!.value, null, 2)}`)
    expect(context.sources.map((s) => [s.label, !!s.summarized])).toEqual([
      ['tasks.research', true],
      ['tasks.plan.stops', false],
      ['tasks.weather', false],
      ['tasks.budget', true],
    ])
    expect(context.sources.some((s) => s.truncated || s.dropped)).toBe(false)
    expect(compaction).toEqual({
      strategy: 'summarize',
      beforeTokens: 280,
      afterTokens: context.tokens,
      dropped: [],
    })
  })

  it('gives one huge source all the room the others leave', async () => {
    const { tools, calls } = fakeTools()
    const huge = { taskId: 'dump', label: 'tasks.dump', value: 'word '.repeat(1000).trim() }
    const { context } = await createContextPipeline().build(
      request({ maxTokens: 200, strategy: 'summarize', sources: [huge, ...fanIn().slice(1, 3)] }),
      tools,
    )
    // 200 - 6 header words - 57 - 15 = 122 for the summary, more than a third of the cap.
    expect(calls).toEqual([{ text: huge.value, maxTokens: 122 }])
    expect(context.tokens).toBe(200)
  })

  it('falls back to keep-head when the summaries are still too long', async () => {
    const calls: number[] = []
    const { context, compaction } = await createContextPipeline().build(
      request({ maxTokens: 60, strategy: 'summarize' }),
      {
        countTokens: countWords,
        // An unhelpful summarizer: shorter, but nowhere near the budget it was given.
        summarize: async (text, maxTokens) => {
          calls.push(maxTokens)
          return text
            .split(' ')
            .slice(0, Math.floor(countWords(text) * 0.9))
            .join(' ')
        },
      },
    )
    expect(calls).toHaveLength(4)
    expect(context.tokens).toBeLessThanOrEqual(60)
    expect(context.text).toMatch(NOTE)
    expect(context.sources.every((s) => s.summarized)).toBe(true)
    expect(context.sources.some((s) => s.truncated || s.dropped)).toBe(true)
    expect(compaction?.afterTokens).toBe(context.tokens)
  })

  it('never summarizes the run inputs', async () => {
    const { tools, calls } = fakeTools()
    const inputs = { brief: 'word '.repeat(200).trim() }
    const { context } = await createContextPipeline().build(
      request({ maxTokens: 100, strategy: 'summarize', inputs }),
      tools,
    )
    expect(calls.some((c) => c.text.includes('"brief"'))).toBe(false)
    expect(context.sources[0]).toMatchObject({ label: 'inputs', truncated: true })
    expect(context.tokens).toBeLessThanOrEqual(100)
  })
})

describe('invalid requests', () => {
  it('refuses a cap below 1 and an unknown strategy', async () => {
    const pipeline = createContextPipeline()
    await expect(pipeline.build(request({ maxTokens: 0 }), fakeTools().tools)).rejects.toThrow(ContextError)
    await expect(pipeline.build(request({ maxTokens: Number.NaN }), fakeTools().tools)).rejects.toThrow(
      /at least 1/,
    )
    await expect(
      pipeline.build(request({ strategy: 'shorten' as CompactionStrategy }), fakeTools().tools),
    ).rejects.toThrow(/unknown compaction strategy 'shorten'/)
  })
})
