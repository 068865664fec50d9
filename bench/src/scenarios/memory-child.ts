/**
 * One child process of scenario 5. `baseline` loads the modules and stops; `floor` runs the
 * graph with the minimal executor; `weft` runs it through the runtime. Prints peak RSS
 * (`process.resourceUsage().maxRSS`), the V8 heap size at the end (V8 grows it up to the peak
 * and does not shrink it at once) and the heap still used after a full GC (what is retained).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import v8 from 'node:v8'
import { createMemoryStore, type Store } from '@weft/core'
import { createSqliteStore } from '@weft/storage-sqlite'
import { childInput, childOutput } from '../lib/child.js'
import { layeredDag } from '../lib/graph.js'
import { runFloor, runWeft } from './scheduler-systems.js'

export interface MemoryChildInput {
  mode: 'baseline' | 'floor' | 'weft'
  store?: 'memory' | 'sqlite'
  n: number
}

const input = childInput<MemoryChildInput>()
const gc = (globalThis as { gc?: () => void }).gc!
let ms = 0
let dir: string | undefined
let keep: unknown
if (input.mode !== 'baseline') {
  const dag = layeredDag(input.n)
  if (input.mode === 'floor') ms = await runFloor(dag)
  else {
    dir = input.store === 'sqlite' ? mkdtempSync(join(tmpdir(), 'weft-bench-mem-')) : undefined
    const store: Store = dir ? createSqliteStore({ path: join(dir, 'weft.db') }) : createMemoryStore()
    keep = store
    // runWeft closes the runtime (and the store) at the end; the in-memory store keeps its data.
    ms = (await runWeft(dag, store)).totalMs
  }
}
const heapSize = v8.getHeapStatistics().total_heap_size
gc()
const retained = v8.getHeapStatistics().used_heap_size
if (dir) rmSync(dir, { recursive: true, force: true })
childOutput({ maxRssKb: process.resourceUsage().maxRSS, heapSize, retained, ms, kept: keep !== undefined })
