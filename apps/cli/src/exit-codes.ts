/**
 * Exit codes scripts may rely on. They follow shell conventions: 0 success, 1 the work failed,
 * 2 the command was used wrongly (bad file, bad flag, unknown run), 128 + signal after a signal.
 */
export const ExitCode = {
  /** The run succeeded, or paused for an approval (the output says how to resume it). */
  ok: 0,
  /** The run failed or was canceled, or the command could not do its job. */
  failed: 1,
  /** Invalid input: a bad workflow file, a bad flag, an unknown run id, a bad resume token. */
  invalidInput: 2,
  /** Interrupted with Ctrl-C (SIGINT): the run was canceled. */
  interrupted: 130,
  /** Terminated with SIGTERM: running tasks got a grace period, the rest were recorded as interrupted; `weft runs recover` continues the run. */
  terminated: 143,
} as const

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode]
