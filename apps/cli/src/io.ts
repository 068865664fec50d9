/**
 * Where the CLI reads and writes. `main` takes one so that it can be driven from code (and other
 * apps that embed the CLI) without touching the real process streams.
 */
export interface OutStream {
  write(chunk: string): boolean
  isTTY?: boolean
  columns?: number
  rows?: number
}

export interface CliIo {
  stdout: OutStream
  stderr: OutStream
  env: NodeJS.ProcessEnv
  cwd: string
}

export function processIo(): CliIo {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    cwd: process.cwd(),
  }
}

/** Colors only where a person looks at them: a TTY, unless NO_COLOR; FORCE_COLOR wins. */
export function colorEnabled(stream: OutStream, env: NodeJS.ProcessEnv): boolean {
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0') return true
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false
  return stream.isTTY === true && env.TERM !== 'dumb'
}
