import { type ChildProcess, spawn } from 'node:child_process'

/** How a JSON-lines child ended: every line it wrote, its exit code and its stderr. */
export interface JsonLinesChildRun {
  lines: Record<string, unknown>[]
  code: number | null
  stderr: string
}

export interface JsonLinesChild {
  child: ChildProcess
  done: Promise<JsonLinesChildRun>
  /** The first line whose `step` is `step` (already written or still to come); rejects if the child exits first. */
  line: (step: string) => Promise<Record<string, unknown>>
  /** True once the child has exited (for a loop that runs as long as the child does). */
  readonly exited: boolean
}

/**
 * Runs a TypeScript script in a real node process (`--conditions=development --import tsx`, so it
 * loads the workspace's sources) that reports what it did as one JSON line per step on stdout,
 * `{ "step": "ready", … }`: the second process of a multi-process store test.
 */
export function startJsonLinesChild(
  script: string,
  args: string[],
  options: { cwd: string; stdin?: 'pipe' | 'ignore' },
): JsonLinesChild {
  const child = spawn(process.execPath, ['--conditions=development', '--import', 'tsx', script, ...args], {
    cwd: options.cwd,
    stdio: [options.stdin ?? 'ignore', 'pipe', 'pipe'],
  })
  const lines: Record<string, unknown>[] = []
  const waiting = new Map<string, (line: Record<string, unknown>) => void>()
  let buffered = ''
  let stderr = ''
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    buffered += chunk
    for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
      const line = JSON.parse(buffered.slice(0, nl)) as Record<string, unknown>
      buffered = buffered.slice(nl + 1)
      lines.push(line)
      waiting.get(String(line.step))?.(line)
    }
  })
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk
  })
  const done = new Promise<JsonLinesChildRun>((resolveDone, reject) => {
    child.on('error', reject)
    child.on('close', (code) => resolveDone({ lines, code, stderr }))
  })
  const line = (step: string) =>
    new Promise<Record<string, unknown>>((resolveLine, reject) => {
      const seen = lines.find((l) => l.step === step)
      if (seen) return resolveLine(seen)
      waiting.set(step, resolveLine)
      void done.then((r) => reject(new Error(`child exited (${r.code}) before "${step}": ${r.stderr}`)))
    })
  let exited = false
  void done.then(
    () => {
      exited = true
    },
    () => {},
  )
  return {
    child,
    done,
    line,
    get exited() {
      return exited
    },
  }
}
