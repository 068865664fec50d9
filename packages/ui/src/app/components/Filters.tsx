/**
 * The controls of a list's filter bar (the runs list, a run's event log): a labelled choice whose
 * empty value means "any", and a labelled search box. Each calls `onChange` with the new value.
 */

export function FilterSelect(props: {
  label: string
  value: string
  /** What the empty value, no filter, is called (`any`, `all`). */
  unset: string
  choices: readonly string[]
  onChange: (value: string) => void
}) {
  return (
    <label>
      {props.label}
      <select value={props.value} onChange={(e) => props.onChange(e.target.value)}>
        <option value="">{props.unset}</option>
        {props.choices.map((c) => (
          <option key={c} value={c}>
            {c}
          </option>
        ))}
      </select>
    </label>
  )
}

export function FilterSearch(props: {
  label: string
  value: string
  placeholder?: string
  onChange: (value: string) => void
}) {
  return (
    <label>
      {props.label}
      <input
        type="search"
        value={props.value}
        placeholder={props.placeholder}
        onChange={(e) => props.onChange(e.target.value)}
      />
    </label>
  )
}
