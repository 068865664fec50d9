import pg from 'pg'
import { afterAll, describe, expect, it } from 'vitest'
import { arrayLiteral, JSON_ESCAPED, jsonArray, jsonTextsLiteral } from '../src/pg-array.js'
import { databaseUrl } from './schemas.js'

const client = new pg.Client({ connectionString: databaseUrl() })
const connected = client.connect()
afterAll(() => client.end())

/** What the server reads from the literal, element by element. */
async function roundTrip(values: (string | null)[]): Promise<(string | null)[]> {
  await connected
  const r = await client.query<{ a: (string | null)[] }>('SELECT $1::text[] AS a', [arrayLiteral(values)])
  return r.rows[0]!.a
}

describe('arrayLiteral', () => {
  it('is read back as the strings given, whatever they hold', async () => {
    const tricky = [
      '',
      'plain',
      'NULL',
      'null',
      ' spaced ',
      'a,b',
      '{braces}',
      'quote " and backslash \\ and \\"',
      '{"json":"with \\"escapes\\" and \\n","n":[1,2]}',
      'new\nline\ttab\u0001',
      'emoji 🙂 and é',
      'lone \ud800 surrogate',
    ]
    // Lone surrogates go out as UTF-8's replacement character, as pg sends any string.
    const expected = tricky.map((s) => s.replace('\ud800', '\ufffd'))
    expect(await roundTrip(tricky)).toEqual(expected)
    expect(await roundTrip(tricky.filter((s) => !JSON_ESCAPED.test(s)))).toEqual(
      expected.filter((_, i) => !JSON_ESCAPED.test(tricky[i]!)),
    )
    expect(await roundTrip([null, 'x', null])).toEqual([null, 'x', null])
    expect(await roundTrip([])).toEqual([])
  })

  it('writes numbers and nulls as an int array reads them', async () => {
    await connected
    const r = await client.query<{ a: (number | null)[] }>('SELECT $1::int[] AS a', [
      arrayLiteral([1, null, -3, 0]),
    ])
    expect(r.rows[0]!.a).toEqual([1, null, -3, 0])
  })
  it('writes the texts JSON.stringify made as they are, without looking for what it escapes', async () => {
    await connected
    const values = [{ text: 'line\nbreak\t"quoted" \\ \u0001 \ud800 🙂' }, 'a "b"', null, [1, '\\']]
    const texts = [...values.map((v) => JSON.stringify(v)), null]
    const r = await client.query<{ a: (string | null)[] }>('SELECT $1::text[] AS a', [
      jsonTextsLiteral(texts),
    ])
    expect(r.rows[0]!.a).toEqual(texts)
    expect(r.rows[0]!.a.slice(0, -1).map((t) => JSON.parse(t!))).toEqual(values)
  })
})

describe('jsonArray', () => {
  it('hands back each text JSON.stringify made exactly, through json_array_elements', async () => {
    await connected
    const values = [
      { text: 'line\nbreak\t"quoted" \\ \u0000 \u0001 \ud800 🙂' },
      'a "b"',
      null,
      [1, '\\'],
      2.5,
      {},
    ]
    const texts = values.map((v) => JSON.stringify(v))
    const r = await client.query<{ t: string }>(
      'SELECT e::text AS t FROM json_array_elements($1::json) WITH ORDINALITY AS x (e, n) ORDER BY n',
      [jsonArray(texts)],
    )
    expect(r.rows.map((row) => row.t)).toEqual(texts)
    expect(r.rows.map((row) => JSON.parse(row.t))).toEqual(values)
    const none = await client.query('SELECT e FROM json_array_elements($1::json) e', [jsonArray([])])
    expect(none.rows).toEqual([])
  })
})
