import { type Backend, type BackendCapabilities, BackendError } from '@weft/core'

/** What `stubBackend` needs: a backend without the fields it fills in. */
export type StubBackendDefinition = Omit<Backend, 'specificationVersion' | 'label' | 'capabilities'> & {
  /** Default: the id. */
  label?: string
  /** Only what the backend can do; every capability not named is false. */
  capabilities?: Partial<BackendCapabilities>
}

const NO_CAPABILITIES: BackendCapabilities = {
  streaming: false,
  events: false,
  cancel: false,
  pause: false,
  resumeSession: false,
  usage: false,
  tools: false,
}

/**
 * A backend for a test, written as its id, its `execute` and the capabilities it has (the others
 * are false); any other member (`calls`, `healthcheck`, `estimate`) is kept as it is.
 */
export function stubBackend<D extends StubBackendDefinition>(
  definition: D,
): Backend & Omit<D, 'label' | 'capabilities'> {
  return {
    specificationVersion: 'weft.backend.v1',
    label: definition.id,
    ...definition,
    capabilities: { ...NO_CAPABILITIES, ...definition.capabilities },
  }
}

/** Resolves never; rejects with a `canceled` BackendError when the task's signal aborts. */
export function untilCanceled(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) =>
    signal.addEventListener('abort', () => reject(new BackendError('canceled', 'aborted')), { once: true }),
  )
}
