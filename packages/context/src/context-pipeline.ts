import {
  type BuiltContext,
  COMPACTION_STRATEGIES,
  CONTEXT_PIPELINE_SPECIFICATION_VERSION,
  type ContextPipeline,
  type ContextRequest,
  type ContextResult,
  type ContextTools,
  type UpstreamOutput,
} from '@weft/core'
import { ContextError } from './context-error.js'
import { type CutMode, type CutNote, cutText, defaultCutNote } from './cut-text.js'
import { dropOldestSources } from './drop-oldest.js'
import { routeOutputs } from './route-outputs.js'
import { renderSections, type Section, type SectionFormat, valueToText } from './sections.js'
import { summarizeSources } from './summarize-sources.js'

export interface ContextPipelineOptions {
  /** Between two sections. Default: a blank line. */
  separator?: string
  /**
   * A section's header line, from the source's label (`tasks.plan.stops`, `inputs`): a string in
   * which `{label}` is replaced, or a function. Default: `## {label}`.
   */
  headerTemplate?: string | ((label: string) => string)
  /** The note that replaces a cut part. Default: `[… N tokens cut …]`. It counts toward the cap. */
  cutNote?: CutNote
}

/** The label of the section that holds the run's inputs. */
export const INPUTS_LABEL = 'inputs'

/** What a strategy decided, before the text is rendered and, if still needed, cut. */
interface Draft {
  sections: Section[]
  included: boolean[]
  summarized: boolean[]
  /** How to cut the rendered text if it is still over the cap. */
  cut: CutMode
}

/**
 * The context pipeline of `@weft/context`: each task's context is its upstream outputs (and the
 * run's inputs when asked), one labelled section each, compacted to the cap when they do not fit.
 * The same request and counter always give the same text.
 */
export function createContextPipeline(options: ContextPipelineOptions = {}): ContextPipeline {
  const format = sectionFormat(options)
  const note = options.cutNote ?? defaultCutNote

  return {
    specificationVersion: CONTEXT_PIPELINE_SPECIFICATION_VERSION,

    async build(request: ContextRequest, tools: ContextTools): Promise<ContextResult> {
      assertRequest(request)
      // The router: `from` entries to the outputs of succeeded tasks (named parts included).
      const routed = routeOutputs(request.from, [], request.upstream)
      const result = await compose(request, routed.sources, tools)
      const skipped = routed.skipped.map((s) => ({ entry: s.entry, reason: s.reason }))
      return skipped.length ? { ...result, skipped } : result
    },
  }

  async function compose(
    request: ContextRequest,
    sources: UpstreamOutput[],
    tools: ContextTools,
  ): Promise<ContextResult> {
    {
      const { maxTokens, strategy } = request
      const sections = toSections(request, sources)
      const all = sections.map(() => true)
      const none = sections.map(() => false)
      const measure = (kept: readonly Section[]) => tools.countTokens(renderSections(kept, format).text)

      const beforeTokens = measure(sections)
      if (beforeTokens <= maxTokens) {
        return { context: finish({ sections, included: all, summarized: none, cut: 'head' }).context }
      }

      let draft: Draft
      switch (strategy) {
        case 'keep-head':
          draft = { sections, included: all, summarized: none, cut: 'head' }
          break
        case 'keep-tail':
          draft = { sections, included: all, summarized: none, cut: 'tail' }
          break
        case 'middle-out':
          draft = { sections, included: all, summarized: none, cut: 'middle' }
          break
        case 'drop-oldest-source': {
          const included = dropOldestSources(sections, (kept) => measure(kept) <= maxTokens)
          draft = { sections, included, summarized: none, cut: 'head' }
          break
        }
        case 'summarize': {
          const result = await summarizeSources(sections, { maxTokens, tools, format })
          draft = { ...result, included: all, cut: 'head' }
          break
        }
      }

      const { context, dropped } = finish(draft)
      if (context.tokens > maxTokens) {
        throw new ContextError(
          'cap_unreachable',
          `context of task '${request.taskId}': ${context.tokens} tokens after ${strategy}, over the cap of ${maxTokens}`,
          { hint: 'the token counter must give 0 for an empty text and no fewer tokens for a longer one' },
        )
      }
      return { context, compaction: { strategy, beforeTokens, afterTokens: context.tokens, dropped } }

      /** Renders what a strategy kept, cuts it if it is still over the cap, and says what happened to each source. */
      function finish(d: Draft): { context: BuiltContext; dropped: string[] } {
        const indices = d.sections.flatMap((_, i) => (d.included[i] ? [i] : []))
        const rendered = renderSections(
          indices.map((i) => d.sections[i]!),
          format,
        )
        // Untouched by the strategy, the text is the one already counted: no need to count it again.
        const untouched = d.included.every(Boolean) && !d.summarized.some(Boolean)
        const cut = cutText(rendered.text, maxTokens, d.cut, tools.countTokens, {
          note,
          sections: rendered.spans,
          ...(untouched ? { tokens: beforeTokens } : {}),
        })

        const sources: BuiltContext['sources'] = []
        const dropped: string[] = []
        d.sections.forEach((section, i) => {
          const at = indices.indexOf(i)
          const flags = d.summarized[i] ? { summarized: true } : {}
          if (at < 0) {
            sources.push({ label: section.label, tokens: 0, dropped: true, ...flags })
            dropped.push(section.label)
            return
          }
          const { start, end } = rendered.spans[at]!
          const pieces = cut.kept.flatMap(([a, b]) => {
            const from = Math.max(a, start)
            const to = Math.min(b, end)
            return to > from ? [rendered.text.slice(from, to)] : []
          })
          const keptChars = pieces.reduce((n, p) => n + p.length, 0)
          if (keptChars === end - start) {
            sources.push({
              label: section.label,
              tokens: tools.countTokens(rendered.text.slice(start, end)),
              ...flags,
            })
          } else if (keptChars === 0) {
            sources.push({ label: section.label, tokens: 0, dropped: true, ...flags })
            dropped.push(section.label)
          } else {
            const tokens = tools.countTokens(pieces.join('\n'))
            sources.push({ label: section.label, tokens, truncated: true, ...flags })
          }
        })
        return { context: { text: cut.text, tokens: tools.countTokens(cut.text), sources }, dropped }
      }
    }
  }
}

/** The run's inputs first (they frame the task), then the upstream outputs in `from` order. */
function toSections(request: ContextRequest, routed: UpstreamOutput[]): Section[] {
  const sections: Section[] = []
  if (request.inputs !== undefined) {
    sections.push({ label: INPUTS_LABEL, kind: 'inputs', body: valueToText(request.inputs) })
  }
  for (const source of routed) {
    sections.push({
      label: source.label,
      kind: 'source',
      body: valueToText(source.value),
      ...(source.completedAt !== undefined ? { completedAt: source.completedAt } : {}),
    })
  }
  return sections
}

function sectionFormat(options: ContextPipelineOptions): SectionFormat {
  const template = options.headerTemplate ?? '## {label}'
  return {
    separator: options.separator ?? '\n\n',
    header: typeof template === 'function' ? template : (label) => template.replaceAll('{label}', label),
  }
}

function assertRequest(request: ContextRequest): void {
  if (!(request.maxTokens >= 1)) {
    throw new ContextError(
      'request_invalid',
      `context of task '${request.taskId}': the cap must be at least 1 token, got ${request.maxTokens}`,
      { hint: 'raise context.maxTokens, or pick a model whose window leaves room after its output' },
    )
  }
  if (!(COMPACTION_STRATEGIES as readonly string[]).includes(request.strategy)) {
    throw new ContextError(
      'request_invalid',
      `context of task '${request.taskId}': unknown compaction strategy '${request.strategy}'`,
      { hint: `use one of ${COMPACTION_STRATEGIES.join(', ')}` },
    )
  }
}
