import type { Json } from '@weft/core'
import { describe, expect, it } from 'vitest'
import { ContextError, formatPath, parsePath, selectPath } from '../src/index.js'

const plan: Json = {
  title: 'A day in Lisbon',
  stops: [
    { name: 'Alfama', tags: ['old', 'view'] },
    { name: 'Belém', tags: [] },
  ],
  'opening hours': { 'Belém tower': '10:00' },
  null: 'a member named null',
  empty: {},
}

const error = (fn: () => unknown): ContextError => {
  try {
    fn()
  } catch (err) {
    expect(err).toBeInstanceOf(ContextError)
    return err as ContextError
  }
  throw new Error('expected a ContextError')
}

describe('selectPath', () => {
  it('selects members, indices and quoted keys', () => {
    expect(selectPath(plan, 'stops[0].name')).toBe('Alfama')
    expect(selectPath(plan, 'stops[1]')).toEqual({ name: 'Belém', tags: [] })
    expect(selectPath(plan, "['opening hours']['Belém tower']")).toBe('10:00')
    expect(selectPath(plan, "stops[0]['tags'][1]")).toBe('view')
    expect(selectPath(plan, 'null')).toBe('a member named null')
    expect(selectPath(['a', 'b'], '[1]')).toBe('b')
    expect(selectPath(plan, '')).toBe(plan)
    expect(selectPath(plan, ['stops', 0, 'tags'])).toEqual(['old', 'view'])
  })

  it('names the path and the members there when a member is missing', () => {
    const e = error(() => selectPath(plan, 'stops[0].nmae', { root: 'plan' }))
    expect(e.code).toBe('path_not_found')
    expect(e.message).toBe(
      "cannot select plan.stops[0].nmae: plan.stops[0] has no member 'nmae' (it has: name, tags)",
    )
    expect(error(() => selectPath(plan, 'stpos')).message).toBe(
      "cannot select stpos: the value has no member 'stpos' (it has: title, stops, opening hours, null, empty)",
    )
    expect(error(() => selectPath(plan, 'empty.x')).message).toMatch(/empty is an empty object/)
  })

  it('says how many items a list has when an index is out of range', () => {
    expect(error(() => selectPath(plan, 'stops[2]', { root: 'plan' })).message).toBe(
      'cannot select plan.stops[2]: plan.stops has 2 item(s) ([0] to [1]), there is no [2]',
    )
    expect(error(() => selectPath(plan, 'stops[1].tags[0]')).message).toMatch(
      /stops\[1\]\.tags is an empty list/,
    )
    expect(error(() => selectPath(plan, 'stops.name')).message).toMatch(
      /stops is a list of 2 item\(s\), select one by index \(\[0\]\), not by 'name'/,
    )
  })

  it('says what a scalar is when the path goes through it', () => {
    expect(error(() => selectPath(plan, 'title.length')).message).toBe(
      'cannot select title.length: title is a string ("A day in Lisbon"), it has no member \'length\'',
    )
    expect(error(() => selectPath({ a: null }, 'a[0]')).message).toMatch(/a is null, it has no member \[0\]/)
  })

  it('refuses what is not a path, with the column', () => {
    const e = error(() => selectPath(plan, 'stops[0'))
    expect(e.code).toBe('path_invalid')
    expect(e.message).toMatch(/^invalid path 'stops\[0': expected '\]' at column 8/)
    expect(e.hint).toMatch(/stops\[0\]\.name/)
    expect(error(() => parsePath('a == b')).message).toMatch(/not a path/)
    expect(error(() => parsePath('stops[-1]')).message).toMatch(/\[-1\] is not a list index/)
    expect(error(() => parsePath('stops[1.5]')).message).toMatch(/\[1.5\] is not a list index/)
    expect(error(() => parsePath('a..b')).message).toMatch(/expected a name after '\.' at column 3/)
  })
})

describe('parsePath and formatPath', () => {
  it('round-trip', () => {
    for (const path of [
      'stops[0].name',
      "['opening hours']['Belém tower']",
      '[3].a-b',
      "a['it\\'s']",
      "['true']",
    ]) {
      expect(formatPath(parsePath(path))).toBe(path)
    }
    expect(parsePath(' stops [0] . name ')).toEqual(['stops', 0, 'name'])
    expect(formatPath(['plan', 'stops', 0])).toBe('plan.stops[0]')
  })
})
