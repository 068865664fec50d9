/**
 * The largest workflow a server takes by default, as YAML text: `tasks` chained tasks (each waits
 * for the one before and hangs, so a run started from it stays cheap) padded to `bytes` by their
 * prompts. Parsing it costs seconds; no quotes, so it grows little as a JSON string in a body.
 */
export function maximalWorkflow(tasks: number, bytes: number): string {
  const build = (pad: number) => {
    const lines = ['weft: 1', 'name: maximal', 'defaults: { backend: mock }', 'tasks:']
    for (let i = 0; i < tasks; i++) {
      lines.push(
        `  t${i}: { prompt: p${'p'.repeat(pad)}, with: { hang: true }${i > 0 ? `, needs: [t${i - 1}]` : ''} }`,
      )
    }
    return `${lines.join('\n')}\n`
  }
  const base = build(0).length
  return build(Math.max(0, Math.floor((bytes - base) / tasks)))
}
