import type { ContextTools } from '@weft/core'
import { renderSections, type Section, type SectionFormat } from './sections.js'

export interface SummarizeSourcesOptions {
  maxTokens: number
  tools: ContextTools
  format: SectionFormat
}

export interface SummarizedSections {
  sections: Section[]
  summarized: boolean[]
}

/**
 * Replaces the largest upstream outputs by summaries, one at a time, until the context fits.
 *
 * Each summary is asked for the larger of two budgets: a fair share of the cap (the cap left after
 * headers and separators, divided by the number of outputs), or everything the other sections
 * leave free. So one huge output among small ones keeps as much as fits, and several large ones
 * share the cap evenly. Summaries are requested one after the other, largest first (ties in `from`
 * order), so the calls, and what they cost, are the same on every run. The run's inputs are never
 * summarized: they are exact values (ids, numbers) that a paraphrase could change.
 */
export async function summarizeSources(
  original: readonly Section[],
  { maxTokens, tools, format }: SummarizeSourcesOptions,
): Promise<SummarizedSections> {
  const sections = original.map((s) => ({ ...s }))
  const summarized = sections.map(() => false)
  const bodyTokens = sections.map((s) => tools.countTokens(s.body))
  const overhead = tools.countTokens(
    renderSections(
      sections.map((s) => ({ ...s, body: '' })),
      format,
    ).text,
  )
  const bodyBudget = Math.max(0, maxTokens - overhead)

  const candidates = sections
    .map((s, index) => ({ s, index }))
    .filter(({ s }) => s.kind === 'source')
    .map(({ index }) => index)
    .sort((x, y) => bodyTokens[y]! - bodyTokens[x]! || x - y)
  const fairShare = candidates.length > 0 ? Math.floor(bodyBudget / candidates.length) : 0

  for (const i of candidates) {
    if (tools.countTokens(renderSections(sections, format).text) <= maxTokens) break
    const own = bodyTokens[i]!
    const others = bodyTokens.reduce((sum, t) => sum + t, 0) - own
    const target = Math.max(1, fairShare, bodyBudget - others)
    // Already within what it would be asked for: the excess is elsewhere.
    if (target >= own) continue
    const summary = await tools.summarize(sections[i]!.body, target)
    const tokens = tools.countTokens(summary)
    // A summary as long as its source would cost a call and save nothing.
    if (tokens >= own) continue
    sections[i] = { ...sections[i]!, body: summary }
    bodyTokens[i] = tokens
    summarized[i] = true
  }
  return { sections, summarized }
}
