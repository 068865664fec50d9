/**
 * 1,000 generated malformed workflows through `POST /api/v1/runs` (issue 18): prototype names as
 * ids, templates and documents nested thousands of levels, cycles, wrong types, corrupted YAML
 * and JSON. Every answer is a 202 or a 4xx JSON error: 0 crashes, 0 answers of 500, and the
 * server still answers afterwards. The generator is @weft/testing's (the one core's validate fuzz
 * uses). The seed is printed; rerun with WEFT_FUZZ_SEED=<seed> (and WEFT_FUZZ_RUNS=<n>).
 */
import { ApiErrorBodySchema } from '@weft/api'
import { arbitraryMalformedWorkflow, fuzzSettings } from '@weft/testing/fuzz'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { call, useHarness } from './helpers.js'

const { seed, numRuns } = fuzzSettings({ runs: 1000 })

// Bodies up to 8 MiB: the deepest generated documents are large; the workflow limit stays default.
const h = useHarness({ memory: true, server: { maxBodyBytes: 8 * 1024 * 1024 } })

describe('POST /runs with generated malformed workflows', () => {
  it(`answers ${numRuns} of them with 202 or a 4xx JSON error, never 500 (seed ${seed})`, async () => {
    console.log(`fuzz POST /runs: seed ${seed}, ${numRuns} workflows (WEFT_FUZZ_SEED / WEFT_FUZZ_RUNS)`)
    const statuses = new Map<number, number>()
    const codes = new Map<string, number>()
    const accepted: string[] = []
    await fc.assert(
      fc.asyncProperty(arbitraryMalformedWorkflow(), async (c) => {
        const r = await call(h.url, '/api/v1/runs', {
          // Built by the generator without JSON.stringify, which overflows on the deepest values.
          body: c.requestBody,
          headers: { 'content-type': 'application/json' },
        })
        statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1)
        if (r.status === 202) {
          accepted.push(r.body.runId)
          return
        }
        // A failure names the case, not the whole (possibly megabyte) document.
        const what = `a ${c.form} case answered ${r.status}: ${r.text.slice(0, 300)}`
        if (!(r.status >= 400 && r.status < 500)) throw new Error(what)
        if (!ApiErrorBodySchema.safeParse(r.body).success) throw new Error(`not an API error: ${what}`)
        codes.set(r.body.error.code, (codes.get(r.body.error.code) ?? 0) + 1)
      }),
      { seed, numRuns, endOnFailure: true },
    )
    console.log(
      `fuzz POST /runs: statuses ${JSON.stringify(Object.fromEntries(statuses))}, codes ${JSON.stringify(Object.fromEntries(codes))}`,
    )
    expect([...statuses.values()].reduce((a, b) => a + b, 0)).toBe(numRuns)
    expect(statuses.get(500)).toBeUndefined()
    // The server logged no internal error and still answers.
    expect(h.logs.filter((l) => l.level === 'error')).toEqual([])
    expect((await call(h.url, '/healthz')).status).toBe(200)
    expect((await call(h.url, '/api/v1/runs?limit=1')).status).toBe(200)
    for (const id of accepted) await h.runtime.cancel(id).catch(() => {})
  }, 600_000)
})
