import { createParser, type EventSourceMessage } from 'eventsource-parser'

export type { EventSourceMessage }

/**
 * Feeds an HTTP response body through the SSE parser, calling `onEvent` for each event as it
 * arrives. Rejects when the body errors (connection dropped, fetch aborted) or `onEvent` throws.
 */
export async function readSse(
  body: ReadableStream<Uint8Array>,
  onEvent: (event: EventSourceMessage) => void,
): Promise<void> {
  const parser = createParser({ onEvent })
  const decoder = new TextDecoder()
  const reader = body.getReader()
  let done = false
  try {
    for (;;) {
      const next = await reader.read()
      if (next.done) break
      parser.feed(decoder.decode(next.value, { stream: true }))
    }
    done = true
    parser.feed(decoder.decode())
  } finally {
    // Stops the download when a handler threw (e.g. an `error` event) before the body ended.
    if (!done) await reader.cancel().catch(() => undefined)
  }
}

/** Replays a recorded SSE transcript through the same parser (stub mode). */
export function replaySse(transcript: string, onEvent: (event: EventSourceMessage) => void): void {
  const parser = createParser({ onEvent })
  parser.feed(transcript)
}
