import type { Backend } from '@weft/core'
import { afterAll } from 'vitest'
import { type BackendScenario, describeBackend } from './backend-suite.js'
import {
  type FakeModelServer,
  type FakeReply,
  type RecordedRequest,
  startFakeModelServer,
} from './fake-models/index.js'

/**
 * The prompts of the conformance scenarios for backends that talk to a model server (HTTP APIs and
 * agent CLIs pointed at `startFakeModelServer`). The suite's requests arrive in no fixed order, so
 * the fake server answers by the marker a request carries, wherever in its body it is.
 */
export const CONFORMANCE_PROMPTS = {
  succeed: 'Say hello',
  fail: 'WEFT_FAIL please',
  hang: 'WEFT_HANG please',
  tool: 'WEFT_TOOL please',
} as const

/** The id of the tool call a WEFT_TOOL prompt gets; a request that carries it has the result. */
const TOOL_CALL_ID = 'call_weft_conformance'

export interface ConformanceRepliesOptions {
  /** The tool a WEFT_TOOL prompt asks for. Default `grep` with `{ q: 'x' }`. */
  tool?: { name: string; input: Record<string, unknown> }
}

/**
 * `respond` for `startFakeModelServer`: WEFT_FAIL gets a 401, WEFT_HANG an answer that takes
 * forever, WEFT_TOOL a thought, text and a tool call (answered plainly once the conversation holds
 * the call, for CLIs that run the tool), anything else `Hello!` with 9 input and 2 output tokens.
 */
export function conformanceReplies(
  options: ConformanceRepliesOptions = {},
): (request: RecordedRequest) => FakeReply {
  const tool = options.tool ?? { name: 'grep', input: { q: 'x' } }
  return (request) => {
    // The whole body: CLIs send a long history (system reminders, tool results) around the prompt.
    const text = JSON.stringify(request.body ?? '')
    if (text.includes('WEFT_FAIL')) return { status: 401 }
    if (text.includes('WEFT_HANG')) return { text: 'an answer that takes forever', slowMs: 30_000 }
    if (text.includes('WEFT_TOOL') && !text.includes(TOOL_CALL_ID))
      return { thinking: 'I should look', text: 'Searching.', toolCall: { ...tool, id: TOOL_CALL_ID } }
    return { text: 'Hello!', usage: { inputTokens: 9, outputTokens: 2 } }
  }
}

export interface ModelServerScenarioOptions
  extends Pick<BackendScenario, 'stopWithinMs' | 'settleMs' | 'workDir'> {
  /** The backend reports a session id (agent CLIs). */
  sessions?: boolean
  /** `emitsEvents` asks for a tool call (with these options), instead of a plain answer. */
  tool?: { options?: Record<string, unknown> }
}

/** The scenarios that go with `conformanceReplies`: the answers it gives, checked. */
export function modelServerScenario(options: ModelServerScenarioOptions = {}): BackendScenario {
  const { sessions, tool, ...rest } = options
  return {
    succeed: {
      request: { prompt: CONFORMANCE_PROMPTS.succeed },
      expect: (result) => {
        if (result.output !== 'Hello!')
          throw new Error(`expected the output 'Hello!', got ${JSON.stringify(result.output)}`)
        if (result.usage?.inputTokens !== 9 || result.usage?.outputTokens !== 2)
          throw new Error(`expected 9 input and 2 output tokens, got ${JSON.stringify(result.usage)}`)
        if (sessions && !result.sessionId) throw new Error('expected a session id')
      },
    },
    fail: { request: { prompt: CONFORMANCE_PROMPTS.fail }, code: 'auth' },
    hang: { request: { prompt: CONFORMANCE_PROMPTS.hang } },
    emitsEvents: {
      request: tool
        ? { prompt: CONFORMANCE_PROMPTS.tool, ...(tool.options ? { options: tool.options as never } : {}) }
        : { prompt: CONFORMANCE_PROMPTS.succeed },
    },
    ...rest,
  }
}

export interface ModelServerBackendOptions {
  /** What the suite asks for and how long it waits (see `modelServerScenario`). */
  scenario?: ModelServerScenarioOptions
  /** How the fake server answers (see `conformanceReplies`). */
  replies?: ConformanceRepliesOptions
  /** Runs after the suite, before the server closes (dispose the backend, remove temp folders). */
  cleanup?: () => void | Promise<void>
}

/**
 * The conformance suite for a backend that talks to a model server: starts `startFakeModelServer`
 * answering with `conformanceReplies`, creates the backend pointed at it, runs `describeBackend`
 * with `modelServerScenario`, and closes the server afterwards.
 */
export function describeModelServerBackend(
  name: string,
  create: (server: FakeModelServer) => Backend | Promise<Backend>,
  options: ModelServerBackendOptions = {},
): void {
  let server: FakeModelServer | undefined
  afterAll(async () => {
    await options.cleanup?.()
    await server?.close()
  })
  describeBackend(
    name,
    async () => {
      server ??= await startFakeModelServer({ respond: conformanceReplies(options.replies) })
      return create(server)
    },
    modelServerScenario(options.scenario),
  )
}
