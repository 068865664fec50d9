/**
 * Subworkflows (`uses:`). The built-in `workflow` backend runs a task as a linked run of another
 * workflow, started in this runtime with the task's rendered `inputs`, and waits for its end: the
 * child's outputs become the task's output and its usage the task's usage, so it counts in the
 * parent's totals and budget. Cancel and timeouts reach the child through the attempt's signal,
 * pause and resume through the backend's own. A parent recovered after a crash finds the child it
 * had started (by the tag naming the parent task) and waits for it instead of starting another.
 */
import { existsSync } from 'node:fs'
import { dirname, isAbsolute, join, resolve } from 'node:path'
import {
  BACKEND_SPECIFICATION_VERSION,
  type Backend,
  BackendError,
  isTerminalRunStatus,
  type Json,
  JsonSchema,
  type RunSummary,
  type TaskContext,
  WeftError,
} from '@weft/spec'
import { z } from 'zod'
import { SUBWORKFLOW_BACKEND } from '../runtime/plan.js'
import { loadWorkflowFile } from '../workflow/load.js'
import type { Runtime } from './api.js'

/** How deep subworkflows may nest (a workflow that uses itself stops here). */
export const MAX_SUBWORKFLOW_DEPTH = 8

export interface SubworkflowHost {
  runtime(): Runtime
  /** Where `uses: name` looks (`name.yaml`, `.yml`, `.json`); paths resolve from the parent's file. */
  workflowsDir?: string
  workDir: string
}

const OptionsSchema = z.strictObject({
  uses: z.string().min(1),
  inputs: z.record(z.string(), JsonSchema).optional(),
})

/** The tag a subworkflow's run carries: which run and task started it. */
export function subworkflowTag(runId: string, taskId: string): string {
  return `parent:${runId}/${taskId}`
}

export function createSubworkflowBackend(host: SubworkflowHost): Backend {
  /** The child run of each attempt running here, for pause and resume. */
  const children = new Map<string, string>()
  const key = (ctx: Pick<TaskContext, 'runId' | 'taskId' | 'attempt'>) =>
    `${ctx.runId}/${ctx.taskId}#${ctx.attempt}`
  return {
    specificationVersion: BACKEND_SPECIFICATION_VERSION,
    id: SUBWORKFLOW_BACKEND,
    label: 'subworkflow (uses:)',
    capabilities: {
      streaming: false,
      events: true,
      cancel: true,
      pause: true,
      resumeSession: false,
      usage: true,
      tools: false,
    },
    optionsSchema: OptionsSchema,
    async execute(req, ctx) {
      const runtime = host.runtime()
      const { uses, inputs } = OptionsSchema.parse(req.options)
      const child =
        (await existingChild(runtime, req.runId, req.taskId)) ??
        (await startChild(runtime, host, req, uses, inputs))
      children.set(key(ctx), child.id)
      ctx.emit({ type: 'child_run', runId: child.id, workflow: uses })
      try {
        const end = await untilEnded(runtime, child.id, ctx.signal)
        // The child's usage, by model, counts as this task's (and so in the parent's totals).
        const byModel = Object.entries(end.usageByModel ?? {})
        if (byModel.length > 0)
          for (const [model, usage] of byModel) ctx.emit({ type: 'usage', model, ...usage })
        else ctx.emit({ type: 'usage', ...end.usage })
        return resultOf(end, uses)
      } finally {
        children.delete(key(ctx))
      }
    },
    async pause(ctx) {
      const id = children.get(key(ctx))
      if (id) await host.runtime().pause(id)
    },
    async resume(ctx) {
      const id = children.get(key(ctx))
      if (id) await host.runtime().resume(id)
    },
  }
}

/** The child an earlier attempt of this task started, unless it ended without succeeding. */
async function existingChild(
  runtime: Runtime,
  runId: string,
  taskId: string,
): Promise<RunSummary | undefined> {
  const page = await runtime.list({ tag: subworkflowTag(runId, taskId), limit: 10 })
  return page.items.find((r) => !isTerminalRunStatus(r.status) || r.status === 'succeeded')
}

async function startChild(
  runtime: Runtime,
  host: SubworkflowHost,
  req: { runId: string; taskId: string },
  uses: string,
  inputs: Record<string, Json> | undefined,
): Promise<RunSummary> {
  const parentSpec = await runtime.store.runs.getSpec(req.runId)
  if ((await depthOf(runtime, req.runId)) >= MAX_SUBWORKFLOW_DEPTH) {
    throw new BackendError(
      'bad_options',
      `'${uses}' would nest subworkflows more than ${MAX_SUBWORKFLOW_DEPTH} deep (does a workflow use itself?)`,
      { retryable: false },
    )
  }
  const file = locate(host, uses, parentSpec?.source)
  const doc = await loadWorkflowFile(file)
  const problems = doc.diagnostics.filter((d) => d.level === 'error')
  if (problems.length > 0 || doc.value === undefined) {
    throw new BackendError('bad_options', `subworkflow '${uses}': ${problems[0]?.message ?? 'empty'}`, {
      retryable: false,
      hint: `check it with \`weft validate ${file}\``,
    })
  }
  try {
    return await runtime.start(
      {
        workflow: doc.value as never,
        inputs: inputs ?? {},
        source: file,
        initiator: parentSpec?.initiator ?? 'code',
        tags: [subworkflowTag(req.runId, req.taskId)],
        parent: { runId: req.runId, taskId: req.taskId },
        // A dry run of the parent (every task on `mock`) is a dry run of its subworkflows too.
        ...(parentSpec?.backend ? { backend: parentSpec.backend } : {}),
        ...(parentSpec?.trace ? { trace: parentSpec.trace } : {}),
      },
      { file, locate: doc.locate },
    )
  } catch (err) {
    if (err instanceof WeftError && (err.code === 'workflow_invalid' || err.code === 'input_invalid')) {
      const first = err.diagnostics?.find((d) => d.level === 'error')
      throw new BackendError(
        'bad_options',
        `subworkflow '${uses}': ${first ? `${first.path ? `${first.path}: ` : ''}${first.message}` : err.message}`,
        { retryable: false, ...(first?.hint ? { hint: first.hint } : {}) },
      )
    }
    throw err
  }
}

/** `./review.yaml` from the parent's folder; `review` from the workflows folder. */
function locate(host: SubworkflowHost, uses: string, parentSource: string | undefined): string {
  const isPath = uses.includes('/') || /\.(ya?ml|json)$/i.test(uses)
  if (isPath) {
    if (isAbsolute(uses)) return uses
    return resolve(parentFolder(host, parentSource), uses)
  }
  if (!host.workflowsDir) {
    throw new BackendError(
      'bad_options',
      `uses: '${uses}' names a workflow, but this runtime has no workflows folder`,
      {
        retryable: false,
        hint: `write a path (\`uses: ./${uses}.yaml\`), or start the runtime with a workflows folder`,
      },
    )
  }
  for (const ext of ['.yaml', '.yml', '.json']) {
    const file = join(host.workflowsDir, `${uses}${ext}`)
    if (existsSync(file)) return file
  }
  throw new BackendError('bad_options', `no workflow '${uses}' in ${host.workflowsDir}`, {
    retryable: false,
    hint: `add ${uses}.yaml there, or write a path (\`uses: ./${uses}.yaml\`)`,
  })
}

/**
 * The folder of the parent's file. A workflow started by name from the workflows folder (over the
 * server) has the name as its source, so a relative source found there is read from there.
 */
function parentFolder(host: SubworkflowHost, source: string | undefined): string {
  if (!source) return host.workDir
  if (isAbsolute(source)) return dirname(source)
  if (host.workflowsDir && existsSync(join(host.workflowsDir, source)))
    return dirname(join(host.workflowsDir, source))
  return dirname(resolve(host.workDir, source))
}

async function depthOf(runtime: Runtime, runId: string): Promise<number> {
  let depth = 0
  let parent = (await runtime.get(runId))?.parent
  while (parent && depth < MAX_SUBWORKFLOW_DEPTH) {
    depth++
    parent = (await runtime.get(parent.runId))?.parent
  }
  return depth
}

/**
 * Waits for the child's end, following its events (a pause inside it, for an approval, is waited
 * out). A child whose process died (the parent was recovered, the child not yet) is taken over
 * here; one that a live process runs is left to it.
 */
async function untilEnded(runtime: Runtime, runId: string, signal: AbortSignal): Promise<RunSummary> {
  const onAbort = () => void runtime.cancel(runId, 'its parent task was canceled').catch(() => {})
  if (signal.aborted) onAbort()
  else signal.addEventListener('abort', onAbort, { once: true })
  try {
    for (;;) {
      const summary = await runtime.get(runId)
      if (!summary) throw new BackendError('failed', `the subworkflow's run ${runId} no longer exists`)
      if (isTerminalRunStatus(summary.status)) return summary
      await runtime.recover({ runId }).catch(() => {})
      // Until its next event, or a second: then look again (and take it over if it was stranded).
      const tick = AbortSignal.timeout(1000)
      for await (const _ of runtime.events(runId, { follow: true, after: summary.lastSeq, signal: tick }))
        break
    }
  } finally {
    signal.removeEventListener('abort', onAbort)
  }
}

function resultOf(end: RunSummary, uses: string) {
  if (end.status === 'succeeded') return { output: (end.outputs ?? {}) as Json }
  if (end.status === 'canceled')
    throw new BackendError('canceled', `subworkflow '${uses}' (run ${end.id}) was canceled`)
  throw new BackendError(
    'failed',
    `subworkflow '${uses}' (run ${end.id}) failed: ${end.error?.message ?? 'unknown error'}`,
    { retryable: false },
  )
}
