/** What the modules of a runtime share: its parts, built once by `createRuntime`. */
import type { Store } from '@weft/spec'
import { WeftError } from '@weft/spec'
import type { ExecutionDeps } from '../runtime/run-execution.js'
import type { BackendInfo } from '../workflow/validate.js'
import type { RecoveryReport } from './api.js'
import type { RuntimeOptions } from './options.js'
import type { Ownership } from './ownership.js'
import type { RunRegistry } from './registry.js'

/** What taking over a run found: reported by `recover`. */
export type Adoption = Pick<RecoveryReport, 'interrupted' | 'kept' | 'previousOwner' | 'endedProcesses'>

export interface Host {
  readonly options: RuntimeOptions
  readonly store: Store
  readonly deps: ExecutionDeps
  readonly registry: RunRegistry
  readonly ownership: Ownership
  readonly backendInfo: ReadonlyMap<string, BackendInfo>
  /** The last takeover of each run by this runtime, for `recover`'s report. */
  readonly adoptions: Map<string, Adoption>
  warn(message: string, context?: unknown): void
  /** Opens the store on first use (validating a workflow never creates a database file). */
  ready(): Promise<void>
  /** `ready()`, or `runtime_closed` once the runtime is shutting down. */
  guard(): Promise<void>
  readonly closed: boolean
}

export function notFound(runId: string): WeftError {
  return new WeftError('run_not_found', `there is no run '${runId}'`, {
    hint: 'check the run id',
    next: [{ action: 'list_runs' }],
  })
}
