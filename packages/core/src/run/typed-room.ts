/**
 * Per-order marks (by task order, by heap key) live in typed arrays that grow as orders come:
 * at least to `index`, and at least double, so a run adding tasks one by one copies rarely.
 */
export function withRoom<T extends Uint8Array | Int32Array>(array: T, index: number): T {
  if (index < array.length) return array
  const grown = new (array.constructor as new (length: number) => T)(Math.max(index + 1, array.length * 2))
  grown.set(array)
  return grown
}
