/**
 * The events of one run in the in-memory store, in chunks of a fixed size. One array grown by
 * `push` copies itself whenever it is full: at 400,000 events each copy is megabytes, made in
 * V8's old generation (large objects are), and every outgrown one stays there until a full GC,
 * about 80 bytes per task of a large run's peak memory. A chunk, once full, is never copied.
 */
import type { WeftEvent } from '@weft/spec'

const CHUNK = 4096

export class StoredEvents {
  private readonly chunks: WeftEvent[][] = []
  length = 0

  push(e: WeftEvent): void {
    const at = this.length % CHUNK
    if (at === 0) this.chunks.push([])
    this.chunks[this.chunks.length - 1]![at] = e
    this.length++
  }

  /** The events at indexes `from` (inclusive) to `to` (exclusive), as `Array.prototype.slice`. */
  slice(from: number, to: number = this.length): WeftEvent[] {
    const end = Math.min(to, this.length)
    const out: WeftEvent[] = []
    for (let i = Math.max(0, from); i < end; i++) out.push(this.chunks[Math.floor(i / CHUNK)]![i % CHUNK]!)
    return out
  }

  /** Every event, in order. */
  all(): WeftEvent[] {
    return this.chunks.flat()
  }
}
