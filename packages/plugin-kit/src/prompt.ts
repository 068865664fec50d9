import { BackendError, type TaskRequest } from '@weft/spec'

/**
 * The text to send for a task: its prompt, else its input as JSON, else its context alone. The
 * runtime has already put the task's context in front of the prompt, so nothing is added here.
 * A task with none of them is a `bad_options` error, not an empty request.
 */
export function promptOf(request: TaskRequest): string {
  if (request.prompt !== undefined && request.prompt !== '') return request.prompt
  if (request.input !== undefined) return JSON.stringify(request.input)
  if (request.context?.text) return request.context.text
  throw new BackendError('bad_options', `task '${request.taskId}' has no prompt or input to send`, {
    retryable: false,
  })
}
