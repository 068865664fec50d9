import type { Json } from '@weft/core'

/** One labelled part of a context: the run's inputs or one upstream output. */
export interface Section {
  label: string
  kind: 'inputs' | 'source'
  /** The value as text; a summary replaces it. */
  body: string
  completedAt?: string
}

export interface SectionFormat {
  separator: string
  header(label: string): string
}

export interface RenderedSections {
  text: string
  /** Where each section sits in `text` (the separators belong to none); its body starts at `bodyStart`. */
  spans: { start: number; bodyStart: number; end: number }[]
}

/** Strings as they are (an agent's prose stays prose); anything else as pretty-printed JSON. */
export function valueToText(value: Json): string {
  return typeof value === 'string' ? value : JSON.stringify(value, null, 2)
}

export function renderSections(sections: readonly Section[], format: SectionFormat): RenderedSections {
  let text = ''
  const spans: RenderedSections['spans'] = []
  sections.forEach((section, i) => {
    if (i > 0) text += format.separator
    const start = text.length
    const header = `${format.header(section.label)}\n`
    text += header + section.body
    spans.push({ start, bodyStart: start + header.length, end: text.length })
  })
  return { text, spans }
}
