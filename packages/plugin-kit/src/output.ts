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

/**
 * Keeps the last `maxChars` of a stream as it arrives, so a long-running process's output never
 * piles up in memory while the end of it is still there for the error message.
 */
export class OutputTail {
  private text = ''
  constructor(private readonly maxChars = 8000) {}

  push(line: string): void {
    this.text = `${this.text}${line}\n`.slice(-this.maxChars)
  }

  toString(): string {
    return this.text
  }
}
