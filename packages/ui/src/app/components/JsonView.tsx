/** A JSON value as a tree that folds (native <details>: keyboard accessible without script). */
export function JsonView({ value, depth = 0, label }: { value: unknown; depth?: number; label?: string }) {
  const key = label !== undefined ? <span className="json-key">{label}: </span> : null
  if (value === null || typeof value !== 'object') {
    return (
      <div className="json-line">
        {key}
        <span className={`json-${value === null ? 'null' : typeof value}`}>{JSON.stringify(value)}</span>
      </div>
    )
  }
  const entries = Array.isArray(value)
    ? value.map((v, i) => [String(i), v] as const)
    : Object.entries(value as Record<string, unknown>)
  const open = Array.isArray(value) ? '[' : '{'
  const close = Array.isArray(value) ? ']' : '}'
  if (entries.length === 0) {
    return (
      <div className="json-line">
        {key}
        {open}
        {close}
      </div>
    )
  }
  return (
    <details className="json" open={depth < 2}>
      <summary>
        {key}
        {open}{' '}
        <span className="muted">
          {entries.length} {Array.isArray(value) ? 'items' : 'keys'}
        </span>{' '}
        {close}
      </summary>
      <div className="json-children">
        {entries.slice(0, 500).map(([k, v]) => (
          <JsonView key={k} label={k} value={v} depth={depth + 1} />
        ))}
        {entries.length > 500 ? <div className="muted">… {entries.length - 500} more</div> : null}
      </div>
    </details>
  )
}
