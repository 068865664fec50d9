import { useEffect, useRef, useState } from 'react'

/** Shown when the server answers 401: it has API keys and this page has none (or a wrong one). */
export function KeyPrompt(props: {
  current: string | undefined
  onSubmit(key: string | undefined): void
  onCancel: (() => void) | undefined
}) {
  const [value, setValue] = useState('')
  const input = useRef<HTMLInputElement>(null)
  useEffect(() => input.current?.focus(), [])
  return (
    <section className="panel key-prompt" aria-labelledby="key-title">
      <h1 id="key-title">API key</h1>
      <p>
        This server asks for an API key. Paste one with the <code>read</code> scope to see runs, or{' '}
        <code>write</code> to control them. It is kept for this browser tab only.
      </p>
      <form
        onSubmit={(e) => {
          e.preventDefault()
          props.onSubmit(value.trim() || undefined)
        }}
      >
        <label htmlFor="api-key">Key</label>
        <input
          id="api-key"
          type="password"
          autoComplete="off"
          value={value}
          onChange={(e) => setValue(e.target.value)}
          ref={input}
          required
        />
        <div className="row">
          <button type="submit">Use this key</button>
          {props.current ? (
            <button type="button" className="ghost" onClick={() => props.onSubmit(undefined)}>
              Forget the key
            </button>
          ) : null}
          {props.onCancel ? (
            <button type="button" className="ghost" onClick={props.onCancel}>
              Cancel
            </button>
          ) : null}
        </div>
      </form>
    </section>
  )
}
