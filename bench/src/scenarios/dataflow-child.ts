/**
 * One child process of the dataflow scenario: pushes `n` numbers through `input → map(value * 2)
 * → filter(value % 3 != 0) → output` (or a variant) `runs` times, and prints messages per second.
 * Baselines do the same work: direct calls (the floor), Node object-mode streams, RxJS.
 */

import { Readable, Transform, Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { type Component, createDataflow } from '@weft/dataflow'
import { filter, map, range } from 'rxjs'
import { childInput, childOutput } from '../lib/child.js'

export type DataflowMode =
  | 'floor'
  | 'streams'
  | 'rxjs'
  | 'weft'
  | 'weft-offer'
  | 'weft-fan'
  | 'weft-sandboxed'
  | 'weft-slow'

export interface DataflowChildInput {
  mode: DataflowMode
  n: number
  runs: number
}

export interface DataflowChildOutput {
  /** Input messages per second, one per run. */
  rates: number[]
  outputs: number
  /** Peak RSS of the process (MB). */
  peakRssMb: number
  /** Largest queue depth seen (weft modes). */
  maxQueueDepth?: number
  backpressureEvents?: number
}

const input = childInput<DataflowChildInput>()
const { n } = input

const linear = (mapOptions: Record<string, unknown>) => ({
  weft: 1,
  kind: 'dataflow',
  name: 'bench',
  nodes: {
    src: { component: 'input' },
    m: { component: 'map', with: { expression: 'value * 2', ...mapOptions } },
    f: { component: 'filter', with: { expression: 'value % 3 != 0' } },
    sink: { component: 'output' },
  },
  edges: [
    { from: 'src.out', to: 'm.in' },
    { from: 'm.out', to: 'f.in' },
    { from: 'f.out', to: 'sink.in' },
  ],
})

const fan = {
  weft: 1,
  kind: 'dataflow',
  name: 'bench-fan',
  nodes: {
    src: { component: 'input' },
    a: { component: 'map', with: { expression: 'value * 2' } },
    b: { component: 'map', with: { expression: 'value + 1' } },
    join: { component: 'passthrough' },
    sink: { component: 'output' },
  },
  edges: [
    { from: 'src.out', to: 'a.in' },
    { from: 'src.out', to: 'b.in' },
    { from: 'a.out', to: 'join.in' },
    { from: 'b.out', to: 'join.in' },
    { from: 'join.out', to: 'sink.in' },
  ],
}

/** A consumer about 10× slower than its producer: it yields to the event loop for every message. */
const slowSink: Component = {
  specificationVersion: 'weft.component.v1',
  id: 'slow-sink',
  inputs: [{ name: 'in' }],
  outputs: [],
  process: () => new Promise<void>((resolve) => setImmediate(resolve)),
}
const slow = {
  weft: 1,
  kind: 'dataflow',
  name: 'bench-slow',
  nodes: {
    src: { component: 'input' },
    m: { component: 'map', with: { expression: 'value * 2' } },
    sink: { component: 'slow-sink' },
  },
  edges: [
    { from: 'src.out', to: 'm.in' },
    { from: 'm.out', to: 'sink.in' },
  ],
}

/** Values per `offerMany` call: what `weft dataflow run --input` offers per chunk of a file is of this order. */
const CHUNK = 1024

async function weft(
  doc: unknown,
  oneByOne = false,
): Promise<{ outputs: number; maxQueueDepth: number; backpressureEvents: number }> {
  const dataflow = createDataflow({ components: [slowSink] })
  const execution = await dataflow.createExecution(doc)
  let outputs = 0
  execution.onOutput(() => {
    outputs++
  })
  await execution.start()
  let maxQueueDepth = 0
  const full = async () => {
    maxQueueDepth = Math.max(maxQueueDepth, execution.queueDepth())
    await execution.whenWritable()
  }
  if (oneByOne) {
    for (let i = 0; i < n; i++) {
      if (!execution.offer(i)) {
        await full()
        i--
      }
    }
  } else {
    // The producer fills one array and offers it whole; offerMany copies what it takes.
    const chunk: number[] = new Array(CHUNK)
    for (let i = 0; i < n; i += CHUNK) {
      const len = Math.min(CHUNK, n - i)
      for (let j = 0; j < len; j++) chunk[j] = i + j
      if (len < CHUNK) chunk.length = len
      let taken = execution.offerMany(chunk)
      while (taken < len) {
        await full()
        taken += execution.offerMany(chunk.slice(taken))
      }
    }
  }
  execution.end()
  const done = await execution.done
  return {
    outputs: outputs || done.metrics.nodes.sink?.messagesIn || 0,
    maxQueueDepth,
    backpressureEvents: done.metrics.backpressureEvents,
  }
}

async function once(): Promise<{ outputs: number; maxQueueDepth?: number; backpressureEvents?: number }> {
  switch (input.mode) {
    case 'floor': {
      // The same work as direct calls: the least any runtime could cost.
      let outputs = 0
      const sink = (_v: number) => {
        outputs++
      }
      const filterStep = (v: number) => {
        if (v % 3 !== 0) sink(v)
      }
      const mapStep = (v: number) => filterStep(v * 2)
      for (let i = 0; i < n; i++) mapStep(i)
      return { outputs }
    }
    case 'streams': {
      let outputs = 0
      await pipeline(
        Readable.from(
          (function* () {
            for (let i = 0; i < n; i++) yield i
          })(),
        ),
        new Transform({ objectMode: true, transform: (v: number, _e, cb) => cb(null, v * 2) }),
        new Transform({
          objectMode: true,
          transform: (v: number, _e, cb) => (v % 3 !== 0 ? cb(null, v) : cb()),
        }),
        new Writable({
          objectMode: true,
          write: (_v, _e, cb) => {
            outputs++
            cb()
          },
        }),
      )
      return { outputs }
    }
    case 'rxjs': {
      let outputs = 0
      await new Promise<void>((resolve) =>
        range(0, n)
          .pipe(
            map((v) => v * 2),
            filter((v) => v % 3 !== 0),
          )
          .subscribe({
            next: () => {
              outputs++
            },
            complete: resolve,
          }),
      )
      return { outputs }
    }
    case 'weft':
      return weft(linear({}))
    case 'weft-offer':
      return weft(linear({}), true)
    case 'weft-sandboxed':
      return weft(linear({ sandboxed: true }))
    case 'weft-fan':
      return weft(fan)
    case 'weft-slow':
      return weft(slow)
  }
}

const out: DataflowChildOutput = { rates: [], outputs: 0, peakRssMb: 0 }
for (let run = 0; run < input.runs; run++) {
  const t0 = performance.now()
  const r = await once()
  const ms = performance.now() - t0
  out.rates.push((n / ms) * 1000)
  out.outputs = r.outputs
  if (r.maxQueueDepth !== undefined) out.maxQueueDepth = r.maxQueueDepth
  if (r.backpressureEvents !== undefined) out.backpressureEvents = r.backpressureEvents
}
out.peakRssMb = Math.round((process.resourceUsage().maxRSS / 1024) * 10) / 10
childOutput(out)
