/**
 * Scenario 5: memory. Peak RSS and V8 heap of a child process that runs 100,000 no-op tasks,
 * against a baseline child that only loads the same modules, and against the floor executor
 * running the same graph (which shows what the graph itself takes).
 */
import { runChild } from '../lib/child.js'
import { int, mb, num, type Table } from '../lib/format.js'
import type { Context, Scenario, ScenarioOutput } from '../lib/scenario.js'
import { summarize } from '../lib/stats.js'
import type { MemoryChildInput } from './memory-child.js'

interface Out {
  maxRssKb: number
  heapSize: number
  retained: number
  ms: number
}

export const memory: Scenario = {
  name: 'memory',
  title: 'Memory (peak RSS and heap)',
  async run(ctx: Context): Promise<ScenarioOutput> {
    const n = ctx.quick ? 10_000 : 100_000
    const repeats = ctx.quick ? 1 : 2
    // The SQLite run takes longest (its commits are durable): it runs once.
    const modes: { key: string; input: MemoryChildInput; once?: boolean }[] = [
      { key: 'baseline (modules loaded)', input: { mode: 'baseline', n } },
      { key: `floor executor, ${int(n)} tasks`, input: { mode: 'floor', n } },
      { key: `weft, in-memory store, ${int(n)} tasks`, input: { mode: 'weft', store: 'memory', n } },
      ...(ctx.quick
        ? []
        : [
            {
              key: `weft, SQLite store, ${int(n)} tasks`,
              input: { mode: 'weft', store: 'sqlite', n } as MemoryChildInput,
              once: true,
            },
          ]),
    ]
    const results: Record<string, Out[]> = {}
    for (let r = 0; r < repeats; r++) {
      for (const { key, input, once } of modes) {
        if (once && r > 0) continue
        const out = await runChild<Out>('scenarios/memory-child.ts', input, {
          nodeArgs: ['--expose-gc', '--max-old-space-size=8192'],
          timeoutMs: 600_000,
        })
        results[key] = [...(results[key] ?? []), out]
        ctx.log(
          `  ${key}: peak RSS ${mb(out.maxRssKb * 1024)} MB, heap ${mb(out.heapSize)} MB, retained ${mb(out.retained)} MB`,
        )
      }
    }
    const med = (key: string, f: (o: Out) => number) => summarize(results[key]!.map(f)).median
    const base = modes[0]!.key
    const baseRss = med(base, (o) => o.maxRssKb * 1024)
    const baseRetained = med(base, (o) => o.retained)
    const table: Table = {
      headers: [
        'process',
        'peak RSS MB',
        'V8 heap at end MB',
        'retained after GC MB',
        'peak RSS − baseline, bytes/task',
        'retained − baseline, bytes/task',
      ],
      rows: modes.map(({ key, input }) => {
        const rss = med(key, (o) => o.maxRssKb * 1024)
        const retained = med(key, (o) => o.retained)
        return [
          key,
          mb(rss),
          mb(med(key, (o) => o.heapSize)),
          mb(retained),
          input.mode === 'baseline' ? '–' : int((rss - baseRss) / n),
          input.mode === 'baseline' ? '–' : int((retained - baseRetained) / n),
        ]
      }),
    }
    const weftKey = modes[2]!.key
    const sqliteKey = modes[3]?.key
    return {
      tables: [table],
      notes: [
        `Medians of ${repeats} child process(es) each (the SQLite run: one). Retained: the in-memory store keeps every event (4 per task) and task state by design, so its run is still all in memory at the end; the SQLite store keeps them on disk.`,
      ],
      headline: [
        [
          `memory, ${int(n)} tasks, in-memory store: peak RSS per task`,
          `${int((med(weftKey, (o) => o.maxRssKb * 1024) - baseRss) / n)} B`,
          `baseline ${mb(baseRss)} MB; floor ${int((med(modes[1]!.key, (o) => o.maxRssKb * 1024) - baseRss) / n)} B/task`,
          '–',
        ],
        ...(sqliteKey
          ? [
              [
                `memory, ${int(n)} tasks, SQLite store: peak RSS per task`,
                `${int((med(sqliteKey, (o) => o.maxRssKb * 1024) - baseRss) / n)} B`,
                '–',
                '–',
              ],
            ]
          : []),
      ],
      data: { n, results, ms: num(med(weftKey, (o) => o.ms)) },
    }
  },
}
