import { renderTemplate } from '@weft/core'
import { type Backend, type CostModel, defineComponent, type Json, type JsonObject } from '@weft/spec'
import { z } from 'zod'
import { HOST_USAGE, type HostContext } from '../execution-node.js'

const BudgetSchema = z.strictObject({
  maxCostUsd: z.number().nonnegative().optional(),
  maxTokens: z.number().int().nonnegative().optional(),
})

const AgentOptions = z.strictObject({
  /** A backend the dataflow host has (`mock`, `openai`, `claude-code`, …). */
  backend: z.string().min(1),
  /** The prompt; `${{ value }}` (and `${{ value.field }}`) is the message. Default: the message as JSON. */
  prompt: z.string().max(1_000_000).optional(),
  model: z.string().optional(),
  /** The backend's own options, validated by its schema. */
  with: z.record(z.string(), z.unknown()).default({}),
  /** Spending limit of this node over the execution: a message that would go over fails (see `onError`). */
  budget: BudgetSchema.optional(),
  /** Emit the backend's `output` (default), its `text`, or `{ output, text, usage, costUsd }`. */
  emit: z.enum(['output', 'text', 'result']).default('output'),
  timeoutMs: z.number().int().positive().optional(),
})
type Options = z.infer<typeof AgentOptions>

export interface AgentComponentOptions {
  backends: readonly Backend[]
  /** Prices usage and estimates calls for the budget check (`createCostModel()` of @weft/cost). */
  cost?: CostModel
  /** Applies to every agent node that sets no `budget` of its own. */
  budget?: { maxCostUsd?: number; maxTokens?: number }
  workDir?: string
}

interface Spent {
  tokens: number
  costUsd: number
}

/**
 * The `agent` component: each message goes through a weft backend with the cost pipeline —
 * estimate, budget pre-check, execute, price the actual usage — and usage counts in the
 * execution's metrics.
 */
export function createAgentComponent(host: AgentComponentOptions) {
  const byId = new Map(host.backends.map((b) => [b.id, b]))
  return defineComponent<Options>({
    id: 'agent',
    label: 'Agent',
    description: 'Sends each message through a weft backend (costs and budgets applied) and emits its output',
    inputs: [{ name: 'in' }],
    outputs: [{ name: 'out' }],
    optionsSchema: AgentOptions,
    check(o) {
      const backend = byId.get(o.backend)
      if (!backend) {
        return [
          {
            path: ['backend'],
            message: `unknown backend '${o.backend}'`,
            hint: `backends here: ${[...byId.keys()].join(', ') || 'none'}`,
          },
        ]
      }
      const parsed = backend.optionsSchema?.safeParse(o.with)
      if (parsed && !parsed.success) {
        return parsed.error.issues.map((i) => ({
          path: ['with', ...(i.path as (string | number)[])],
          message: `backend '${o.backend}': ${i.message}`,
        }))
      }
      return []
    },
    initialize: (ctx) => ctx.setState('spent', { tokens: 0, costUsd: 0 } satisfies Spent),
    async process(ctx, _port, value) {
      const o = ctx.options
      const backend = byId.get(o.backend)
      if (!backend) throw new Error(`unknown backend '${o.backend}'`)
      const prompt =
        o.prompt === undefined ? JSON.stringify(value) : String(renderTemplate(o.prompt, { value }))
      const spent = ctx.getState<Spent>('spent')!
      const seq = (ctx.getState<number>('calls') ?? 0) + 1
      ctx.setState('calls', seq)
      const options = (backend.optionsSchema ? backend.optionsSchema.parse(o.with) : o.with) as JsonObject
      const request = {
        runId: ctx.executionId,
        taskId: `${ctx.nodeId}#${seq}`,
        attempt: 1,
        prompt,
        input: value as Json,
        ...(o.model ? { model: o.model } : {}),
        options,
        upstream: {},
        ...(o.timeoutMs ? { timeoutMs: o.timeoutMs } : {}),
      }
      const budget = o.budget ?? host.budget
      if (budget) {
        const known = backend.estimate?.(request)
        const est = host.cost?.estimate({ text: prompt, ...(o.model ? { model: o.model } : {}) })
        const tokens = known
          ? (known.inputTokens ?? 0) + (known.outputTokens ?? 0)
          : (est?.inputTokens ?? 0) + (est?.outputTokens ?? 0)
        const costUsd = known?.costUsd ?? est?.costUsd ?? 0
        if (budget.maxTokens !== undefined && spent.tokens + tokens > budget.maxTokens) {
          throw new Error(
            `budget exceeded: node '${ctx.nodeId}' has used ${spent.tokens} of ${budget.maxTokens} tokens and this message needs about ${tokens} more`,
          )
        }
        if (budget.maxCostUsd !== undefined && spent.costUsd + costUsd > budget.maxCostUsd) {
          throw new Error(
            `budget exceeded: node '${ctx.nodeId}' has spent $${spent.costUsd.toFixed(4)} of $${budget.maxCostUsd} and this message would cost about $${costUsd.toFixed(4)}`,
          )
        }
      }
      const signal = o.timeoutMs
        ? AbortSignal.any([ctx.signal, AbortSignal.timeout(o.timeoutMs)])
        : ctx.signal
      const result = await backend.execute(request, {
        runId: ctx.executionId,
        taskId: request.taskId,
        attempt: 1,
        signal,
        emit: () => {},
        log: {
          debug: (m) => ctx.log('debug', m),
          info: (m) => ctx.log('info', m),
          warn: (m) => ctx.log('warn', m),
          error: (m) => ctx.log('error', m),
        },
        workDir: host.workDir ?? process.cwd(),
      })
      const usage = result.usage ?? {}
      const model = usage.model ?? o.model
      const tokens =
        (usage.inputTokens ?? 0) +
        (usage.outputTokens ?? 0) +
        (usage.cacheReadTokens ?? 0) +
        (usage.cacheWriteTokens ?? 0) +
        (usage.reasoningTokens ?? 0)
      const priced =
        usage.costUsd ??
        host.cost?.cost(
          {
            inputTokens: usage.inputTokens ?? 0,
            outputTokens: usage.outputTokens ?? 0,
            cacheReadTokens: usage.cacheReadTokens ?? 0,
            cacheWriteTokens: usage.cacheWriteTokens ?? 0,
            reasoningTokens: usage.reasoningTokens ?? 0,
          },
          model,
        ) ??
        0
      spent.tokens += tokens
      spent.costUsd += priced
      ;(ctx as HostContext)[HOST_USAGE]({
        inputTokens: usage.inputTokens ?? 0,
        outputTokens: usage.outputTokens ?? 0,
        costUsd: priced,
      })
      const out =
        o.emit === 'text'
          ? (result.text ??
            (typeof result.output === 'string' ? result.output : JSON.stringify(result.output)))
          : o.emit === 'result'
            ? {
                output: result.output ?? null,
                text: result.text ?? null,
                usage: { ...usage },
                costUsd: priced,
              }
            : (result.output ?? result.text ?? null)
      await ctx.emit('out', out)
    },
  })
}
