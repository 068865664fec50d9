/**
 * An execa `stdout`/`stderr` option that hands each line to `onLine` as it arrives. By default
 * nothing is passed on, so a long run does not buffer its output in the result; with `keep` the
 * line is kept (the result's `stderr` then holds it, e.g. for an error message).
 */
export function eachLine(
  onLine: (line: string) => void,
  options: { keep?: boolean } = {},
): { transform: (line: unknown) => Generator<unknown, void, unknown> } {
  const keep = options.keep === true
  return {
    *transform(line: unknown) {
      onLine(String(line))
      if (keep) yield line
    },
  }
}
