import { spawnSync } from 'node:child_process'
import { WeftError } from '@weft/core'

/**
 * Resource limits of a supervised worker, and the command line that enforces them. Every tool
 * replaces itself with the next (exec), so the supervisor's child pid ends up being the worker's
 * node process: signals sent to the child reach the worker itself.
 *
 * What is enforced, and by whom:
 * - `memoryMb`: the worker's JavaScript heap (`node --max-old-space-size`; V8 ends the process
 *   when it is exceeded, and the supervisor restarts it), and a hard cap of twice that on the data
 *   memory of the worker and of every process it starts (`prlimit --data`, RLIMIT_DATA, inherited
 *   by the tasks' CLIs, per process rather than a total; skipped with a warning without prlimit).
 * - `cpus`: the CPUs the worker and its tasks may run on (`taskset -c`, CPU affinity, inherited).
 * - `nice`: their scheduling priority (`nice -n`, inherited): a lower priority, not a quota.
 * A hard total across the tree (a cgroup's memory.max / cpu.max) needs systemd or root, and is
 * left to the service manager that runs `weft agents up`.
 */
export interface ResourceLimits {
  memoryMb?: number
  /** A taskset CPU list: `0`, `0,2`, `0-3`. */
  cpus?: string
  /** -20 (highest) … 19 (lowest). */
  nice?: number
}

export interface LimitedCommand {
  command: string
  args: string[]
  /** What is enforced, in words, for the supervisor's start-up line. */
  enforced: string[]
  warnings: string[]
}

/** Is `tool` on the PATH (it answers `--version`)? */
export type ToolCheck = (tool: string) => boolean

export const toolAvailable: ToolCheck = (tool) => {
  try {
    return spawnSync(tool, ['--version'], { stdio: 'ignore', timeout: 5000 }).status === 0
  } catch {
    return false
  }
}

const CPU_LIST = /^\d+(-\d+)?(,\d+(-\d+)?)*$/

/**
 * `node [nodeArgs] script [args]` wrapped in the tools that apply `limits`. An option a tool is
 * missing for is an error when asking for it makes no sense without it (`--cpus`, `--nice`); the
 * data cap is a warning (the heap limit still holds).
 */
export function limitedCommand(
  node: { execPath: string; nodeArgs: string[]; script: string; args: string[] },
  limits: ResourceLimits,
  has: ToolCheck = toolAvailable,
): LimitedCommand {
  const enforced: string[] = []
  const warnings: string[] = []
  const prefix: string[] = []
  // The supervisor's own heap flag is not the worker's.
  const nodeArgs = node.nodeArgs.filter((a) => !a.startsWith('--max-old-space-size'))
  if (limits.nice !== undefined) {
    if (!Number.isInteger(limits.nice) || limits.nice < -20 || limits.nice > 19)
      throw new WeftError('input_invalid', `--nice ${limits.nice}: expected a whole number from -20 to 19`)
    if (!has('nice')) throw missing('nice', '--nice')
    prefix.push('nice', '-n', String(limits.nice))
    enforced.push(`nice ${limits.nice}`)
  }
  if (limits.cpus !== undefined) {
    if (!CPU_LIST.test(limits.cpus))
      throw new WeftError(
        'input_invalid',
        `--cpus '${limits.cpus}': expected a CPU list such as 0, 0,2 or 0-3`,
      )
    if (!has('taskset')) throw missing('taskset', '--cpus')
    prefix.push('taskset', '-c', limits.cpus)
    enforced.push(`CPUs ${limits.cpus}`)
  }
  if (limits.memoryMb !== undefined) {
    nodeArgs.push(`--max-old-space-size=${limits.memoryMb}`)
    enforced.push(`heap ${limits.memoryMb} MB`)
    if (has('prlimit')) {
      prefix.push('prlimit', `--data=${limits.memoryMb * 2 * 1024 * 1024}`, '--')
      enforced.push(`data ${limits.memoryMb * 2} MB per process`)
    } else warnings.push('prlimit was not found: only the heap limit (--max-old-space-size) is enforced')
  }
  const full = [...prefix, node.execPath, ...nodeArgs, node.script, ...node.args]
  return { command: full[0]!, args: full.slice(1), enforced, warnings }
}

function missing(tool: string, flag: string): WeftError {
  return new WeftError('input_invalid', `${flag} needs \`${tool}\`, which is not on the PATH`, {
    hint: `install it (util-linux / coreutils) or leave out ${flag}`,
  })
}
