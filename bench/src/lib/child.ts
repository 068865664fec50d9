/**
 * Measurements run in child processes of their own: a fresh heap and JIT for each, a peak RSS
 * that is their own, and a time limit (a system that cannot finish is reported as such).
 */
import { spawn } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

export const BENCH_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
export const REPO_DIR = join(BENCH_DIR, '..')

export class ChildTimeout extends Error {
  constructor(readonly limitMs: number) {
    super(`did not finish in ${Math.round(limitMs / 1000)} s`)
  }
}

export interface ChildOptions {
  /** Node options before the script, e.g. `--expose-gc`. */
  nodeArgs?: string[]
  timeoutMs?: number
  cwd?: string
  env?: NodeJS.ProcessEnv
}

/**
 * Runs `script` (a .ts file of this package, through tsx) with `input` as its one JSON argument
 * and returns the JSON value of the last line it prints. A child that times out is killed.
 */
export function runChild<T>(script: string, input: unknown, options: ChildOptions = {}): Promise<T> {
  const args = [
    ...(options.nodeArgs ?? []),
    '--import',
    'tsx',
    join(BENCH_DIR, 'src', script),
    JSON.stringify(input),
  ]
  return new Promise<T>((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      cwd: options.cwd ?? BENCH_DIR,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => {
      stdout += d
    })
    child.stderr.on('data', (d: Buffer) => {
      stderr += d
    })
    let timedOut = false
    const timer =
      options.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true
            child.kill('SIGKILL')
          }, options.timeoutMs)
    child.on('error', reject)
    child.on('close', (code) => {
      if (timer) clearTimeout(timer)
      if (timedOut) return reject(new ChildTimeout(options.timeoutMs!))
      const last = stdout.trim().split('\n').at(-1) ?? ''
      if (code !== 0) {
        return reject(
          new Error(`${script} exited ${code}: ${stderr.trim().split('\n').slice(-8).join('\n')}`),
        )
      }
      try {
        resolve(JSON.parse(last) as T)
      } catch {
        reject(new Error(`${script} printed no JSON result: ${stdout.slice(-500)} ${stderr.slice(-500)}`))
      }
    })
  })
}

/** For child scripts: the JSON argument, and how to print the result. */
export function childInput<T>(): T {
  return JSON.parse(process.argv[2] ?? '{}') as T
}

export function childOutput(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`)
}
