/**
 * The small values a malformed workflow is made of: ids (prototype names among them), nesting
 * depths, junk of every JSON type and nesting, and the two combinators that put junk where a
 * field is expected and build maps from generated keys. The templates, the workflow shapes and
 * the text forms are all made from these, so they are in a file of their own.
 */
import fc from 'fast-check'
import { deep } from './emit.js'

/** Names every JavaScript object answers to, and a few that look like ids. */
export const PROTOTYPE_NAMES = [
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  'valueOf',
  'isPrototypeOf',
  '__defineGetter__',
] as const

export const ids = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('a', 'b', 'c', 'build', 'test_1', 'deploy-x') },
  { weight: 3, arbitrary: fc.constantFrom(...PROTOTYPE_NAMES) },
  { weight: 1, arbitrary: fc.string({ maxLength: 10 }) },
  { weight: 1, arbitrary: fc.constantFrom('', ' ', 'a b', '1abc', 'x'.repeat(200), 'ünï', 'a\u0000b') },
)

export const nesting = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 1, max: 200 }) },
  { weight: 2, arbitrary: fc.integer({ min: 200, max: 5000 }) },
  { weight: 1, arbitrary: fc.integer({ min: 5000, max: 20_000 }) },
)

/** Values nested far beyond any sane workflow. */
const deepValue = fc
  .tuple(nesting, fc.constantFrom('array' as const, 'object' as const, 'mixed' as const))
  .map(([n, kind]) => deep(n, kind))

export const junk: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 1, arbitrary: deepValue },
  { weight: 1, arbitrary: fc.constantFrom(null, 0, -1, 1.5, 1e308, '', [], {}, true, 'x'.repeat(10_000)) },
)

export const orJunk = <T>(arb: fc.Arbitrary<T>) =>
  fc.oneof({ weight: 3, arbitrary: arb as fc.Arbitrary<unknown> }, { weight: 1, arbitrary: junk })

export const entriesOf = <V>(key: fc.Arbitrary<string>, value: fc.Arbitrary<V>, maxLength: number) =>
  // Object.fromEntries keeps `__proto__` as an own key, as JSON.parse does.
  fc.array(fc.tuple(key, value), { maxLength }).map((e) => Object.fromEntries(e) as Record<string, V>)
