/**
 * A read shared by the gauges that collect from it during one scrape: the first gauge to collect
 * starts it, the others of the same scrape await the same promise, and the next scrape reads
 * again. No source (`read` gives undefined) or a failed read gives undefined, so a gauge skips
 * its update instead of failing the whole scrape.
 */
export function sharedPerScrape<T>(read: () => Promise<T> | undefined): () => Promise<T | undefined> {
  let pending: Promise<T | undefined> | undefined
  return () => {
    pending ??= (read() ?? Promise.resolve(undefined))
      .catch(() => undefined)
      .finally(() => {
        // Forgotten only after the gauges of this scrape, already waiting on it, have run.
        setImmediate(() => {
          pending = undefined
        })
      })
    return pending
  }
}
