import type { WeftEvent } from '@weft/core/contracts'
import { JsonView } from '../components/JsonView.js'
import { formatTokens } from '../format.js'

interface Source {
  label: string
  tokens: number
  truncated?: boolean
}

/**
 * A task's context: the upstream sources it was built from (tokens each, cut or not), against
 * its cap, and the compaction that brought it under (strategy, tokens before and after).
 */
export function ContextView({ events }: { events: WeftEvent[] }) {
  return (
    <>
      {events.map((e) => {
        const d = e.data as Record<string, unknown>
        if (e.type === 'context.built' && Array.isArray(d.sources)) {
          const sources = d.sources as Source[]
          return (
            <table key={e.seq} className="context">
              <caption>
                Built: {formatTokens(Number(d.tokens ?? 0))} tokens
                {d.cap !== undefined ? ` (cap ${formatTokens(Number(d.cap))})` : ''}
                {e.attempt ? `, attempt ${e.attempt}` : ''}
              </caption>
              <thead>
                <tr>
                  <th scope="col">Source</th>
                  <th scope="col" className="num">
                    Tokens
                  </th>
                  <th scope="col">Cut</th>
                </tr>
              </thead>
              <tbody>
                {sources.map((s) => (
                  <tr key={s.label}>
                    <td className="mono">{s.label}</td>
                    <td className="num">{formatTokens(s.tokens)}</td>
                    <td>{s.truncated ? 'yes' : ''}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )
        }
        if (e.type === 'context.compacted' && d.beforeTokens !== undefined) {
          return (
            <p key={e.seq} className="context-compacted">
              Compacted ({String(d.strategy ?? 'strategy')}): {formatTokens(Number(d.beforeTokens))} →{' '}
              {formatTokens(Number(d.afterTokens ?? 0))} tokens
              {Array.isArray(d.dropped) && d.dropped.length ? `, dropped ${d.dropped.join(', ')}` : ''}
            </p>
          )
        }
        return <JsonView key={e.seq} value={e.data} depth={1} label={e.type} />
      })}
    </>
  )
}
