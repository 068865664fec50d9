import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { startOtlpReceiver } from '@weft/testing'
import { afterEach, describe, expect, it } from 'vitest'
import { createWorkspace, runCli, type Workspace } from './helpers/cli.js'

let ws: Workspace | undefined
afterEach(() => {
  ws?.cleanup()
  ws = undefined
})

describe('weft run with tracing', () => {
  it('OTEL_EXPORTER_OTLP_ENDPOINT alone sends the run’s trace to a collector', async () => {
    ws = createWorkspace()
    const receiver = await startOtlpReceiver()
    try {
      const r = await runCli(['run', 'diamond.yaml', '--json'], {
        cwd: ws.dir,
        env: { ...ws.env, OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_SERVICE_NAME: 'weft-cli-test' },
      })
      expect(r.code, r.stderr).toBe(0)
      const runId = (JSON.parse(r.stdout) as { id: string }).id
      const root = receiver.spans.find((s) => s.attributes['weft.run.id'] === runId)
      expect(root?.name).toMatch(/^weft\.run /)
      expect(root?.resource['service.name']).toBe('weft-cli-test')
      const tasks = receiver.trace(root!.traceId).filter((s) => s.parentSpanId === root!.spanId)
      expect(tasks.length).toBeGreaterThanOrEqual(4)
      expect(receiver.spans.map((s) => s.name)).toContain('weft.runtime.stopped')
    } finally {
      await receiver.close()
    }
  })

  it('tracing.jsonl in weft.config appends every event and the lifecycle to a file', async () => {
    ws = createWorkspace()
    const { writeFile } = await import('node:fs/promises')
    await writeFile(join(ws.dir, 'weft.config.yaml'), 'tracing: { jsonl: traces/weft.jsonl }\n')
    const r = await runCli(['run', 'diamond.yaml', '--json'], { cwd: ws.dir, env: ws.env })
    expect(r.code, r.stderr).toBe(0)
    const lines = (await readFile(join(ws.dir, 'traces/weft.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string })
    expect(lines[0]?.type).toBe('runtime.started')
    expect(lines.at(-1)?.type).toBe('runtime.stopped')
    expect(lines.map((l) => l.type)).toContain('run.succeeded')
  })
})
