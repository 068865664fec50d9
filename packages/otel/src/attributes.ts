/**
 * Attribute names. The `gen_ai.*` ones follow the OpenTelemetry GenAI semantic conventions
 * (https://opentelemetry.io/docs/specs/semconv/gen-ai/); they are still "development" there, so
 * they are spelled here rather than imported from the incubating entry of
 * `@opentelemetry/semantic-conventions`, whose names may move. weft's own are under `weft.*`.
 */
export const GEN_AI = {
  operationName: 'gen_ai.operation.name',
  providerName: 'gen_ai.provider.name',
  requestModel: 'gen_ai.request.model',
  responseModel: 'gen_ai.response.model',
  inputTokens: 'gen_ai.usage.input_tokens',
  outputTokens: 'gen_ai.usage.output_tokens',
  conversationId: 'gen_ai.conversation.id',
  tokenType: 'gen_ai.token.type',
  agentName: 'gen_ai.agent.name',
} as const

export const WEFT = {
  runId: 'weft.run.id',
  runStatus: 'weft.run.status',
  workflow: 'weft.workflow.name',
  source: 'weft.workflow.source',
  initiator: 'weft.run.initiator',
  tasks: 'weft.run.tasks',
  recovered: 'weft.run.recovered',
  taskId: 'weft.task.id',
  taskStatus: 'weft.task.status',
  attempt: 'weft.attempt',
  backend: 'weft.backend',
  costUsd: 'weft.cost_usd',
  reportedCostUsd: 'weft.cost_usd.reported',
  cacheReadTokens: 'weft.usage.cache_read_tokens',
  cacheWriteTokens: 'weft.usage.cache_write_tokens',
  reasoningTokens: 'weft.usage.reasoning_tokens',
  inputTokens: 'weft.usage.input_tokens',
  outputTokens: 'weft.usage.output_tokens',
  estimateInputTokens: 'weft.estimate.input_tokens',
  estimateOutputTokens: 'weft.estimate.output_tokens',
  estimateCostUsd: 'weft.estimate.cost_usd',
  retryDelayMs: 'weft.retry.delay_ms',
  retryNextAttempt: 'weft.retry.next_attempt',
  retryMaxAttempts: 'weft.retry.max_attempts',
  retryable: 'weft.error.retryable',
  budgetExceeded: 'weft.budget.exceeded',
  durationMs: 'weft.duration_ms',
  reason: 'weft.reason',
  reusedFrom: 'weft.task.reused_from',
  owner: 'weft.runtime.owner',
} as const

/**
 * `gen_ai.provider.name` of weft's own backends, as the GenAI conventions name providers (an agent
 * CLI is its vendor's). Another backend is named by its id.
 */
const PROVIDERS: Record<string, string> = {
  openai: 'openai',
  anthropic: 'anthropic',
  'claude-code': 'anthropic',
  codex: 'openai',
  'gemini-cli': 'gcp.gemini',
}

export function providerOf(backend: string): string {
  return PROVIDERS[backend] ?? backend
}
