// One measurement of the export-memory scenario of `pnpm bench` (export-memory.ts), in a
// process of its own so that its peak RSS is its own. It loads the built CLI (what `weft` runs)
// in every mode, so the modes differ only in what they do after loading:
//   baseline STORE RUN               open the store, read the run's summary, nothing else
//   export   STORE RUN FORMAT OUT    `weft events export --run RUN --format FORMAT --out OUT`
//   naive    STORE RUN FORMAT OUT    read the whole log into memory and write it at once (jsonl
//                                    only): what the export must not do, for contrast
// The last line of stdout is JSON: { maxRssKb, ms, stderr }.
import { writeFileSync } from 'node:fs'
import { createCliRuntime, main } from '@weft/cli'

const [mode, store, runId, format, out] = process.argv.slice(2)
let stderr = ''
const io = {
  stdout: { write: () => true },
  stderr: {
    write: (s) => {
      stderr += s
      return true
    },
  },
}

const started = performance.now()
if (mode === 'baseline') {
  const { runtime } = await createCliRuntime({ store, cwd: process.cwd(), env: {} })
  const run = await runtime.get(runId)
  if (!run) throw new Error(`no run ${runId}`)
  await runtime.close()
} else if (mode === 'export') {
  const code = await main(
    ['events', 'export', '--run', runId, '--format', format, '--out', out, '--store', store],
    {
      ...io,
      cwd: process.cwd(),
      env: {},
    },
  )
  if (code !== 0) throw new Error(`export exited ${code}: ${stderr}`)
} else if (mode === 'naive') {
  const { runtime } = await createCliRuntime({ store, cwd: process.cwd(), env: {} })
  await runtime.store.init()
  const events = await runtime.store.events.read(runId, { limit: Number.MAX_SAFE_INTEGER })
  writeFileSync(out, `${events.map((e) => JSON.stringify(e)).join('\n')}\n`)
  await runtime.close()
} else {
  throw new Error(`unknown mode ${mode}`)
}
const ms = performance.now() - started
process.stdout.write(`${JSON.stringify({ maxRssKb: process.resourceUsage().maxRSS, ms, stderr })}\n`)
