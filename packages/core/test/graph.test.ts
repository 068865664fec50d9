import { describe, expect, it } from 'vitest'
import { ancestorsOf, descendantsOf, findCycles } from '../src/workflow/graph.js'

const graph = new Map<string, string[]>([
  ['a', []],
  ['b', ['a']],
  ['c', ['a']],
  ['d', ['b', 'c']],
  ['e', []],
])

describe('graph helpers', () => {
  it('finds descendants and ancestors', () => {
    expect([...descendantsOf(graph, 'a')].sort()).toEqual(['b', 'c', 'd'])
    expect([...descendantsOf(graph, 'd')]).toEqual([])
    expect([...ancestorsOf(graph, 'd')].sort()).toEqual(['a', 'b', 'c'])
  })

  it('walks a chain of 100,000 tasks both ways', () => {
    const n = 100_000
    const chain = new Map(Array.from({ length: n }, (_, i) => [`t${i}`, i ? [`t${i - 1}`] : []]))
    expect(descendantsOf(chain, 't0').size).toBe(n - 1)
    expect(ancestorsOf(chain, `t${n - 1}`).size).toBe(n - 1)
  })

  it('stops after `limit` cycles', () => {
    const n = 2000
    const dense = new Map(Array.from({ length: n }, (_, i) => [`t${i}`, i ? [`t${i - 1}`, `t${n - 1}`] : []]))
    expect(findCycles(dense, 3)).toHaveLength(3)
    expect(
      findCycles(
        new Map([
          ['a', ['b']],
          ['b', ['a']],
        ]),
      ),
    ).toEqual([['a', 'b', 'a']])
  })
})
