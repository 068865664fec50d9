import type { ContextTools, UpstreamOutput } from '@weft/core'

/** One token a word: easy to reason about in assertions. */
export const countWords = (text: string): number => text.split(/\s+/).filter(Boolean).length

/** About four characters a token, the usual heuristic when no tokenizer is known. */
export const countChars4 = (text: string): number => Math.ceil(text.length / 4)

export interface SummarizeCall {
  text: string
  maxTokens: number
}

/**
 * Tools with a fake summarizer that records its calls and answers the first `maxTokens - 1`
 * words after "Summary:", so it always keeps to the budget it was given.
 */
export function fakeTools(countTokens: (text: string) => number = countWords) {
  const calls: SummarizeCall[] = []
  const tools: ContextTools = {
    countTokens,
    async summarize(text, maxTokens) {
      calls.push({ text, maxTokens })
      const words = text.split(/\s+/).filter(Boolean)
      let summary = `Summary: ${words.slice(0, Math.max(0, maxTokens - 1)).join(' ')}`
      while (countTokens(summary) > maxTokens && summary.includes(' ')) {
        summary = summary.slice(0, summary.lastIndexOf(' '))
      }
      return summary
    },
  }
  return { tools, calls }
}

const sentence = (n: number, topic: string) =>
  Array.from({ length: n }, (_, i) => `${topic} note ${i + 1} says the ${topic} matters a great deal.`).join(
    '\n',
  )

/**
 * A fan-in of four upstream outputs — prose, a named structured part, an object and a list — that
 * completed in an order different from their `from` order.
 */
export function fanIn(): UpstreamOutput[] {
  return [
    {
      taskId: 'research',
      label: 'tasks.research',
      value: sentence(12, 'research'),
      completedAt: '2025-01-01T10:03:00.000Z',
    },
    {
      taskId: 'plan',
      label: 'tasks.plan.stops',
      value: [
        { name: 'Alfama', minutes: 90, why: 'old town lanes and the castle view' },
        { name: 'Belém', minutes: 120, why: 'the tower, the monastery and pastéis' },
        { name: 'LX Factory', minutes: 60, why: 'shops and lunch in an old mill' },
        { name: 'Cais do Sodré', minutes: 45, why: 'the riverside at sunset' },
      ],
      completedAt: '2025-01-01T10:01:00.000Z',
    },
    {
      taskId: 'weather',
      label: 'tasks.weather',
      value: { forecast: 'sunny', highC: 24, lowC: 15, wind: 'light from the north', rain: 0 },
      completedAt: '2025-01-01T10:02:00.000Z',
    },
    {
      taskId: 'budget',
      label: 'tasks.budget',
      value: sentence(8, 'budget'),
      completedAt: '2025-01-01T10:00:00.000Z',
    },
  ]
}
