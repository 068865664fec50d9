/**
 * A growable FIFO ring buffer. Edge queues and run queues use it instead of arrays: `Array#shift`
 * copies the rest of the array, which made a queue of 10,000 messages quadratic to drain.
 */
export class Ring<T> {
  private buf: (T | undefined)[]
  private head = 0
  private count = 0

  constructor(initialCapacity = 16) {
    let size = 16
    while (size < initialCapacity) size *= 2
    this.buf = new Array(size)
  }

  get length(): number {
    return this.count
  }

  push(item: T): void {
    if (this.count === this.buf.length) this.grow()
    this.buf[(this.head + this.count) & (this.buf.length - 1)] = item
    this.count++
  }

  shift(): T | undefined {
    if (this.count === 0) return undefined
    const item = this.buf[this.head]
    // Cleared so a consumed message can be collected while the ring lives on.
    this.buf[this.head] = undefined
    this.head = (this.head + 1) & (this.buf.length - 1)
    this.count--
    return item
  }

  peek(): T | undefined {
    return this.count === 0 ? undefined : this.buf[this.head]
  }

  clear(): void {
    this.buf = new Array(16)
    this.head = 0
    this.count = 0
  }

  *[Symbol.iterator](): IterableIterator<T> {
    for (let i = 0; i < this.count; i++) yield this.buf[(this.head + i) & (this.buf.length - 1)] as T
  }

  private grow(): void {
    const next = new Array<T | undefined>(this.buf.length * 2)
    for (let i = 0; i < this.count; i++) next[i] = this.buf[(this.head + i) & (this.buf.length - 1)]
    this.buf = next
    this.head = 0
  }
}
