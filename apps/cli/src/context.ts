import type { CliIo } from './io.js'

/** What a command needs from `main`: where to write, and where to leave its exit code. */
export interface CliContext {
  io: CliIo
  exitCode: number
  /** The arguments `main` got (without `node` and the script), e.g. for a detached child of `weft run`. */
  argv?: string[]
}
