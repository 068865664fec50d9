/**
 * What a backend reports while an attempt runs, as the run records it. Pure: the run applies the
 * drafts through the reducer like any other event.
 */
import type { BackendEvent, EventDraft, Usage } from '@weft/spec'

export type MappedBackendEvent =
  /** Live only: followers see it, the log keeps the messages it adds up to. */
  | { kind: 'delta'; text: string }
  /** Usage is priced by the ledger before it is recorded. */
  | { kind: 'usage'; usage: Partial<Usage> & { model?: string } }
  | { kind: 'record'; draft: EventDraft }

export function mapBackendEvent(
  event: BackendEvent,
  base: { taskId: string; attempt: number },
  host: string,
): MappedBackendEvent | undefined {
  switch (event.type) {
    case 'delta':
      return { kind: 'delta', text: event.text }
    case 'usage': {
      const { type: _type, ...usage } = event
      return { kind: 'usage', usage }
    }
    case 'message':
      return record({
        ...base,
        type: 'agent.message',
        data: { role: event.role ?? 'assistant', text: event.text },
      })
    case 'tool_start':
      return record({
        ...base,
        type: 'tool.started',
        data: {
          toolId: event.toolId,
          name: event.name,
          ...(event.input !== undefined ? { input: event.input } : {}),
        },
      })
    case 'tool_end':
      return record({
        ...base,
        type: 'tool.finished',
        data: {
          toolId: event.toolId,
          name: event.name,
          ...(event.output !== undefined ? { output: event.output } : {}),
          ...(event.error !== undefined ? { error: event.error } : {}),
        },
      })
    case 'session':
      // The reducer reads the session id from `fields`: the task's state keeps it for a resume.
      return record({
        ...base,
        type: 'log',
        severity: 'debug',
        data: { message: `session ${event.sessionId}`, fields: { sessionId: event.sessionId } },
      })
    case 'child_run':
      // The reducer reads the child's id from `fields`: the task's state links the two runs.
      return record({
        ...base,
        type: 'log',
        severity: 'info',
        data: {
          message: `subworkflow ${event.workflow}: run ${event.runId}`,
          fields: { childRunId: event.runId },
        },
      })
    case 'process':
      // Where the attempt's process group runs, so that recovery on this host can end it.
      return record({
        ...base,
        type: 'task.process_started',
        data: {
          host,
          pid: event.pid,
          pgid: event.pgid,
          ...(event.startTime !== undefined ? { startTime: event.startTime } : {}),
        },
      })
    case 'log':
      return record({
        ...base,
        type: 'log',
        severity: event.level ?? 'info',
        data: { message: event.message, ...(event.stream ? { stream: event.stream } : {}) },
      })
    default:
      return undefined
  }
}

function record(draft: EventDraft): MappedBackendEvent {
  return { kind: 'record', draft }
}
