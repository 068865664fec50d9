/**
 * Runs the real `weft` command as a child process: node + tsx on the TypeScript sources (with the
 * `development` condition, so no package needs a build), a temp directory as cwd and a SQLite
 * store inside it.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { cpSync, mkdtempSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const repoRoot = resolve(here, '../../../..')
const BIN = join(repoRoot, 'apps/cli/src/bin.ts')
const TSX = pathToFileURL(createRequire(join(repoRoot, 'package.json')).resolve('tsx')).href
const FIXTURES = resolve(here, '../fixtures')

export interface CliResult {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

export interface CliOptions {
  cwd: string
  env?: NodeJS.ProcessEnv
  /** Written to the child's stdin, which is then closed. */
  input?: string
  timeoutMs?: number
}

export interface CliProcess {
  child: ChildProcess
  stdout(): string
  stderr(): string
  /** Resolves once stdout matches, with the match (rejects after the timeout). */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>
  interrupt(signal?: NodeJS.Signals): void
  result: Promise<CliResult>
}

/** A temp directory with the fixtures copied in and `WEFT_STORE` pointing at a database inside. */
export interface Workspace {
  dir: string
  store: string
  env: NodeJS.ProcessEnv
  cleanup(): void
}

export function createWorkspace(): Workspace {
  const dir = mkdtempSync(join(tmpdir(), 'weft-cli-'))
  cpSync(FIXTURES, dir, { recursive: true })
  const store = join(dir, 'store', 'weft.db')
  return {
    dir,
    store,
    env: { WEFT_STORE: store },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  }
}

function childEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', ...extra }
  // Plain output: no colours, whatever the test runner sets.
  delete env.FORCE_COLOR
  return env
}

export function startCli(args: string[], options: CliOptions): CliProcess {
  const child = spawn(process.execPath, ['--conditions=development', '--import', TSX, BIN, ...args], {
    cwd: options.cwd,
    env: childEnv(options.env),
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  const listeners = new Set<() => void>()
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk
    for (const l of listeners) l()
  })
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk
  })
  if (options.input !== undefined) child.stdin!.end(options.input)
  else child.stdin!.end()

  const timeoutMs = options.timeoutMs ?? 25_000
  const result = new Promise<CliResult>((resolvePromise, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(
        new Error(
          `weft ${args.join(' ')} did not exit within ${timeoutMs} ms\nstdout:\n${stdout}\nstderr:\n${stderr}`,
        ),
      )
    }, timeoutMs)
    child.on('error', reject)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      resolvePromise({ code, signal, stdout, stderr })
    })
  })

  return {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    interrupt: (signal = 'SIGINT') => void child.kill(signal),
    result,
    waitFor(pattern, waitMs = 15_000) {
      return new Promise((resolveMatch, reject) => {
        const check = () => {
          const m = stdout.match(pattern)
          if (!m) return
          listeners.delete(check)
          clearTimeout(timer)
          resolveMatch(m)
        }
        const timer = setTimeout(() => {
          listeners.delete(check)
          reject(new Error(`stdout never matched ${pattern}\nstdout:\n${stdout}\nstderr:\n${stderr}`))
        }, waitMs)
        listeners.add(check)
        check()
      })
    },
  }
}

export function runCli(args: string[], options: CliOptions): Promise<CliResult> {
  return startCli(args, options).result
}

export interface EventRecord {
  seq: number
  ts: string
  type: string
  taskId: string | null
  attempt: number | null
  severity: string
  runId: string
  data: Record<string, unknown>
}

/** The run's event log through `weft runs events <id> --json`. */
export async function readEvents(ws: Workspace, runId: string): Promise<EventRecord[]> {
  const r = await runCli(['runs', 'events', runId, '--json'], { cwd: ws.dir, env: ws.env })
  if (r.code !== 0) throw new Error(`runs events failed (${r.code}): ${r.stderr}`)
  return r.stdout
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as EventRecord)
}

/** `{ run, tasks }` through `weft runs show <id> --json`. */
export async function showRun(ws: Workspace, runId: string) {
  const r = await runCli(['runs', 'show', runId, '--json'], { cwd: ws.dir, env: ws.env })
  if (r.code !== 0) throw new Error(`runs show failed (${r.code}): ${r.stderr}`)
  return JSON.parse(r.stdout) as {
    run: {
      id: string
      status: string
      error?: { code: string; message: string }
      outputs?: Record<string, unknown>
    }
    tasks: {
      taskId: string
      status: string
      attempt: number
      reason?: string
      error?: { code: string; message: string }
    }[]
  }
}

/** The order tasks started in (first attempts and retries), from the event log. */
export function startOrder(events: EventRecord[]): string[] {
  return events.filter((e) => e.type === 'task.started').map((e) => e.taskId!)
}

/** The most tasks running at once, replayed from task.started and the events that end an attempt. */
export function maxConcurrency(events: EventRecord[]): number {
  const running = new Set<string>()
  let max = 0
  for (const e of events) {
    if (!e.taskId) continue
    if (e.type === 'task.started') {
      running.add(e.taskId)
      max = Math.max(max, running.size)
    } else if (['task.succeeded', 'task.failed', 'task.canceled', 'task.retry_scheduled'].includes(e.type)) {
      running.delete(e.taskId)
    }
  }
  return max
}
