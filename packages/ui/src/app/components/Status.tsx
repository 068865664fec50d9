/** A status as a coloured badge; the colour is never the only cue (the word is there too). */
export function StatusBadge({ status }: { status: string }) {
  return (
    <span className={`badge s-${status}`} data-status={status}>
      {status}
    </span>
  )
}
