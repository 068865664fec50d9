export interface TailOptions {
  /** At most this many lines. Default 10. */
  maxLines?: number
  /** At most this many characters; a longer tail starts with `…`. Default 1000. */
  maxChars?: number
  /** Lines to leave out (a CLI's cosmetic warnings), matched against each line. */
  skip?: RegExp
}

/** The last lines of a stream (stderr, usually), short enough for an error message. */
export function tail(text: string, options: TailOptions = {}): string {
  const { maxLines = 10, maxChars = 1000, skip } = options
  let lines = text.trimEnd().split(/\r?\n/)
  if (skip) lines = lines.filter((line) => !skip.test(line))
  const last = lines.slice(-maxLines).join('\n')
  return last.length > maxChars ? `…${last.slice(-maxChars)}` : last
}
