/**
 * The errors of a resume with a token that answers nothing: unknown, or used already. Each carries
 * a `resume.invalidToken` diagnostic in its details (the name scripts of seed 004 look for), so a
 * caller over HTTP sees the same thing as one in code.
 */
import type { TaskState } from '@weft/spec'
import { WeftError } from '@weft/spec'

interface Waiting {
  taskId: string
  token: string
}

export function unknownToken(runId: string, token: string, waiting: readonly Waiting[]): WeftError {
  const hint = waiting.length
    ? `waiting approvals: ${waiting.map((w) => `${w.taskId} (token ${w.token})`).join(', ')}`
    : 'this run has no approval waiting'
  const message = `run ${runId} has no approval with token '${token}'`
  return new WeftError('resume_token_invalid', message, {
    hint,
    details: {
      diagnostic: { code: 'resume.invalidToken', level: 'error', message, hint, reason: 'unknown' },
    },
    diagnostics: [{ level: 'error', code: 'resume.invalidToken', message, hint }],
    next: [{ action: 'show_run', runId }],
  })
}

export function usedToken(task: Pick<TaskState, 'taskId' | 'status' | 'approval'>): WeftError {
  const message = `the approval token of task '${task.taskId}' was already used`
  const answered = task.approval?.status
  const hint = `task '${task.taskId}' is ${task.status}${answered && answered !== 'waiting' ? ` (${answered}${task.approval?.by ? ` by ${task.approval.by}` : ''})` : ''}; nothing to resume`
  return new WeftError('resume_token_used', message, {
    hint,
    details: { diagnostic: { code: 'resume.invalidToken', level: 'error', message, hint, reason: 'used' } },
    diagnostics: [{ level: 'error', code: 'resume.invalidToken', message, hint }],
  })
}
