/**
 * A binary min-heap of distinct keys: push is ignored for a key already in the heap. The
 * scheduler keeps its ready queue and its pending checks in these, so that each dispatch costs
 * O(log n) instead of a scan and a sort of every task.
 */
export class KeyHeap<K> {
  private readonly items: K[] = []
  private readonly members = new Set<K>()

  constructor(private readonly less: (a: K, b: K) => boolean) {}

  get size(): number {
    return this.items.length
  }

  has(key: K): boolean {
    return this.members.has(key)
  }

  push(key: K): void {
    if (this.members.has(key)) return
    this.members.add(key)
    const items = this.items
    let i = items.length
    items.push(key)
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (!this.less(key, items[parent]!)) break
      items[i] = items[parent]!
      i = parent
    }
    items[i] = key
  }

  peek(): K | undefined {
    return this.items[0]
  }

  pop(): K | undefined {
    const items = this.items
    if (items.length === 0) return undefined
    const top = items[0]!
    this.members.delete(top)
    const last = items.pop()!
    if (items.length > 0) {
      let i = 0
      const n = items.length
      for (;;) {
        const left = 2 * i + 1
        if (left >= n) break
        const right = left + 1
        const child = right < n && this.less(items[right]!, items[left]!) ? right : left
        if (!this.less(items[child]!, last)) break
        items[i] = items[child]!
        i = child
      }
      items[i] = last
    }
    return top
  }

  clear(): void {
    this.items.length = 0
    this.members.clear()
  }
}
