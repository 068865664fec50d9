import type { BackendEvent, JsonObject } from '@weft/spec'

/** A task request with `options` as its `with`, and a context whose events land in `events`. */
export function attempt(options: JsonObject, signal = new AbortController().signal) {
  const events: BackendEvent[] = []
  const request = { runId: 'r', taskId: 't', attempt: 1, options, upstream: {} }
  const ctx = {
    runId: 'r',
    taskId: 't',
    attempt: 1,
    signal,
    emit: (e: BackendEvent) => events.push(e),
    log: { debug() {}, info() {}, warn() {}, error() {} },
    workDir: process.cwd(),
  }
  return { events, request, ctx }
}
