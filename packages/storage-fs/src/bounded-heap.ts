/**
 * Keeps the `capacity` smallest items offered, by `compare`, in memory proportional to the
 * capacity: a max-heap whose top is the largest kept item, replaced when a smaller one comes.
 */
export class BoundedHeap<T> {
  private readonly items: T[] = []

  constructor(
    private readonly capacity: number,
    private readonly compare: (a: T, b: T) => number,
  ) {}

  /** Whether an item that compares like this one could still be kept (to skip work early). */
  wouldKeep(item: T): boolean {
    return this.items.length < this.capacity || this.compare(item, this.items[0]!) < 0
  }

  offer(item: T): void {
    if (this.capacity <= 0) return
    if (this.items.length < this.capacity) {
      this.items.push(item)
      this.siftUp(this.items.length - 1)
    } else if (this.compare(item, this.items[0]!) < 0) {
      this.items[0] = item
      this.siftDown(0)
    }
  }

  /** The kept items, smallest first. */
  sorted(): T[] {
    return [...this.items].sort(this.compare)
  }

  private siftUp(i: number): void {
    const items = this.items
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (this.compare(items[i]!, items[parent]!) <= 0) return
      ;[items[i], items[parent]] = [items[parent]!, items[i]!]
      i = parent
    }
  }

  private siftDown(i: number): void {
    const items = this.items
    for (;;) {
      const left = 2 * i + 1
      const right = left + 1
      let largest = i
      if (left < items.length && this.compare(items[left]!, items[largest]!) > 0) largest = left
      if (right < items.length && this.compare(items[right]!, items[largest]!) > 0) largest = right
      if (largest === i) return
      ;[items[i], items[largest]] = [items[largest]!, items[i]!]
      i = largest
    }
  }
}
