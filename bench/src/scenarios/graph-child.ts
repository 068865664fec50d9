/**
 * One child process of scenarios 1 and 2: runs one system on one graph `warmup + runs` times
 * and prints the timings of the `runs`. See scheduler-systems.ts for the systems.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createMemoryStore, type Store } from '@weft/core'
import { createSqliteStore } from '@weft/storage-sqlite'
import { childInput, childOutput } from '../lib/child.js'
import { layeredDag } from '../lib/graph.js'
import { runFloor, runLangGraph, runRecordingFloor, runWeft } from './scheduler-systems.js'

export interface GraphChildInput {
  system: 'weft' | 'floor' | 'recording' | 'langgraph'
  store?: 'memory' | 'sqlite'
  n: number
  warmup: number
  runs: number
  /**
   * A forced collection (`global.gc()`) before each run. Off by default: a forced collection is a
   * memory-reducing one, and V8 drops optimized code and type feedback with it, so every run after
   * one starts cold again (measured on weft at 10,000 tasks: the first 4,000 tasks of each run
   * went 3 to 10 times slower than the rest). No real process forces collections between runs.
   */
  forceGc?: boolean
}

export interface GraphChildOutput {
  samples: number[]
  /** The first run in this process (warm-up or not): what a one-off `weft run` sees. */
  coldMs: number
  startMs: number[]
  events: number
  commits: number
  maxRssKb: number
}

const input = childInput<GraphChildInput>()
const dag = layeredDag(input.n)
const out: GraphChildOutput = { samples: [], coldMs: 0, startMs: [], events: 0, commits: 0, maxRssKb: 0 }
const gc = (globalThis as { gc?: () => void }).gc

for (let i = 0; i < input.warmup + input.runs; i++) {
  if (input.forceGc) gc?.()
  const measured = i >= input.warmup
  const noteCold = (ms: number) => {
    if (i === 0) out.coldMs = ms
  }
  if (input.system === 'floor') {
    const ms = await runFloor(dag)
    noteCold(ms)
    if (measured) out.samples.push(ms)
  } else if (input.system === 'recording') {
    const ms = await runRecordingFloor(dag)
    noteCold(ms)
    if (measured) out.samples.push(ms)
  } else if (input.system === 'langgraph') {
    const ms = await runLangGraph(dag)
    noteCold(ms)
    if (measured) out.samples.push(ms)
  } else {
    const dir = input.store === 'sqlite' ? mkdtempSync(join(tmpdir(), 'weft-bench-')) : undefined
    const store: Store = dir ? createSqliteStore({ path: join(dir, 'weft.db') }) : createMemoryStore()
    // The database is created and migrated before the clock starts, as the raw floor's is.
    await store.init()
    let commits = 0
    const commit = store.commit.bind(store)
    store.commit = (c) => {
      commits++
      return commit(c)
    }
    try {
      const r = await runWeft(dag, store)
      noteCold(r.totalMs)
      if (measured) {
        out.samples.push(r.totalMs)
        out.startMs.push(r.startMs)
        out.events = r.events
        out.commits = commits
      }
    } finally {
      if (dir) rmSync(dir, { recursive: true, force: true })
    }
  }
}
out.maxRssKb = process.resourceUsage().maxRSS
childOutput(out)
