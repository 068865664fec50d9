/** Workflows for tests of a server and its clients, on `@weft/backend-mock` (registered as `mock`). */
export const mockWorkflows = {
  /** One task that never ends until canceled. */
  hang: (name = 'hang') => ({
    weft: 1 as const,
    name,
    defaults: { backend: 'mock' },
    tasks: { wait: { prompt: 'wait', with: { hang: true } } },
  }),
  /** A gate between two tasks (as examples/approval.yaml, mock only). */
  approval: () => ({
    weft: 1 as const,
    name: 'release-notes',
    defaults: { backend: 'mock' },
    tasks: {
      collect: { prompt: 'List merged PRs', with: { output: ['#101 faster startup'] } },
      approve: { needs: ['collect'], approval: { message: 'Publish these notes?' } },
      publish: { needs: ['approve'], prompt: 'publish to ${{ tasks.approve.output.channel }}' },
    },
  }),
}

/**
 * Three tasks on a backend registered as `echo` (e.g. a `stubBackend` that answers with its
 * prompt): `a`, then `b`, whose prompt quotes `a`'s output, and `c`.
 */
export const echoWorkflow = (name: string) => ({
  weft: 1 as const,
  name,
  defaults: { backend: 'echo' },
  tasks: {
    a: { prompt: 'one' },
    b: { needs: ['a'], prompt: 'after ${{ tasks.a.output }}' },
    c: { needs: ['a'], prompt: 'three' },
  },
})
