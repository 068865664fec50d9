import type { Commit } from '@weft/core'

/**
 * The commit that creates run `runId` (named `name`) with no tasks, its log one `created` event:
 * a run for tests of the queue, which enqueue its attempts themselves.
 */
export function taskLessRun(runId: string, name: string): Commit {
  return {
    runId,
    create: {
      spec: {
        workflow: { weft: 1, name, tasks: {} },
        inputs: {},
        initiator: 'code',
        tags: [],
      } as never,
    },
    events: [{ type: 'log', ts: new Date().toISOString(), data: { message: 'created' } }],
  }
}
