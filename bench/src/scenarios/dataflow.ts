/**
 * Dataflow throughput: messages per second through `input → map → filter → output` and through a
 * fan-out/fan-in graph, against the same work as direct calls (the floor), Node object-mode
 * streams and RxJS, each in a child process of its own; the cost per message of a map run in the
 * QuickJS sandbox; and peak RSS while a consumer about 10× slower than its producer holds the
 * producer back (bounded queues).
 */
import { runChild } from '../lib/child.js'
import { int, num, type Table } from '../lib/format.js'
import type { Context, Scenario, ScenarioOutput } from '../lib/scenario.js'
import type { DataflowChildInput, DataflowChildOutput, DataflowMode } from './dataflow-child.js'

const best = (rates: number[]) => Math.max(...rates)
const pct = (a: number, b: number) => (b > 0 ? `${Math.round((a / b) * 100)}%` : '–')
const rate = (r: number) => `${num(r / 1e6)}M`

export const dataflow: Scenario = {
  name: 'dataflow',
  title:
    'Dataflow: msgs/s through a 3-node pipeline and a fan-out/fan-in graph vs direct calls, Node streams, RxJS',
  async run(ctx: Context): Promise<ScenarioOutput> {
    const n = ctx.quick ? 500_000 : 2_000_000
    const runs = ctx.quick ? 3 : 8
    const measure = async (mode: DataflowMode, count = n, times = runs): Promise<DataflowChildOutput> => {
      const input: DataflowChildInput = { mode, n: count, runs: times }
      const out = await runChild<DataflowChildOutput>('scenarios/dataflow-child.ts', input, {
        timeoutMs: 600_000,
      })
      ctx.log(
        `  dataflow ${mode.padEnd(14)} ${out.rates.map((r) => rate(r)).join(', ')} msgs/s, peak RSS ${num(out.peakRssMb)} MB`,
      )
      return out
    }
    // Rounds interleave the systems, so that a noisy moment of a shared machine does not fall on
    // one system only; each figure is the best over every run of every round.
    const rounds = ctx.quick ? 1 : 2
    const systems = ['floor', 'streams', 'rxjs', 'weft', 'weft-offer', 'weft-fan'] as const
    const all = new Map<DataflowMode, DataflowChildOutput>()
    for (let round = 0; round < rounds; round++) {
      for (const mode of systems) {
        const out = await measure(mode)
        const seen = all.get(mode)
        all.set(
          mode,
          seen
            ? {
                ...out,
                rates: [...seen.rates, ...out.rates],
                peakRssMb: Math.max(seen.peakRssMb, out.peakRssMb),
              }
            : out,
        )
      }
    }
    const of = (mode: DataflowMode) => all.get(mode)!
    const [floor, streams, rxjs, weft, weftOffer, fan] = [
      of('floor'),
      of('streams'),
      of('rxjs'),
      of('weft'),
      of('weft-offer'),
      of('weft-fan'),
    ]
    const sandboxN = ctx.quick ? 20_000 : 100_000
    const sandboxed = await measure('weft-sandboxed', sandboxN, 2)
    const slowN = ctx.quick ? 100_000 : 500_000
    const slow = await measure('weft-slow', slowN, 1)

    const f = best(floor.rates)
    const pipeline: Table = {
      title: `${int(n)} messages, best of ${rounds} × ${runs} runs (input msgs/s; the filter keeps 2 of 3)`,
      headers: ['system', 'msgs/s', 'vs direct calls', 'peak RSS (MB)'],
      rows: [
        ['direct calls (floor)', rate(f), '100%', num(floor.peakRssMb)],
        [
          'Node object-mode streams',
          rate(best(streams.rates)),
          pct(best(streams.rates), f),
          num(streams.peakRssMb),
        ],
        ['RxJS', rate(best(rxjs.rates)), pct(best(rxjs.rates), f), num(rxjs.peakRssMb)],
        [
          'weft dataflow (built-ins; offerMany, 1,024 values a call)',
          rate(best(weft.rates)),
          pct(best(weft.rates), f),
          num(weft.peakRssMb),
        ],
        [
          'weft dataflow (built-ins; one offer() per value)',
          rate(best(weftOffer.rates)),
          pct(best(weftOffer.rates), f),
          num(weftOffer.peakRssMb),
        ],
        [
          'weft dataflow fan-out/fan-in (2 branches)',
          rate(best(fan.rates)),
          pct(best(fan.rates), f),
          num(fan.peakRssMb),
        ],
      ],
    }
    const sandboxRate = best(sandboxed.rates)
    const costUs = 1e6 / sandboxRate - 1e6 / best(weft.rates)
    const costs: Table = {
      title: 'Sandbox and backpressure',
      headers: ['figure', 'value'],
      rows: [
        [`pipeline with the map in QuickJS (${int(sandboxN)} msgs)`, `${rate(sandboxRate)} msgs/s`],
        ['sandboxed map cost per message', `${num(costUs)} µs`],
        [`slow consumer (${int(slowN)} msgs, queues of 10,000): peak RSS`, `${num(slow.peakRssMb)} MB`],
        ['slow consumer: largest queue depth seen', int(slow.maxQueueDepth ?? 0)],
        ['slow consumer: backpressure events', int(slow.backpressureEvents ?? 0)],
      ],
    }
    return {
      tables: [pipeline, costs],
      notes: [
        'Goal: ≥ 2M msgs/s with built-ins and ≥ 30% of the direct-call floor.',
        "Producers: the floor, Node streams and RxJS generate each value inside the pipeline; weft's producer fills an array of 1,024 values and hands it to `execution.offerMany` (which copies what it takes), as `weft dataflow run --input` does with the lines of each chunk of its file; the row below it calls `execution.offer` once per value. Both wait with `whenWritable` when the input queue (10,000) is full.",
        'Simple expressions run on the fast path: parsed once into a tree of closures over a safe subset (own-property reads only; no code is evaluated); `sandboxed: true` forces QuickJS, which copies each value across the WebAssembly boundary.',
      ],
      headline: [
        [
          'dataflow 3-node pipeline msgs/s',
          rate(best(weft.rates)),
          `${rate(f)} (direct calls)`,
          pct(best(weft.rates), f),
        ],
        ['dataflow sandboxed map µs/msg', num(costUs), '–', '–'],
      ],
      data: { n, floor, streams, rxjs, weft, weftOffer, fan, sandboxed, slow },
    }
  },
}
