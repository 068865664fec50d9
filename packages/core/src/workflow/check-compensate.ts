/**
 * `compensate:` on a task: a backend the runtime has, options that fit it, no command taken from an
 * input, and templates that read what exists when it runs — `output` (the task's own output), the
 * task itself and its upstream tasks (which all succeeded, since the task did), inputs, run, memory,
 * and a mapped task's `item` and `index`. An approval gate does nothing to undo; a subworkflow task
 * must say which backend undoes it.
 */
import { collectTemplates } from '../template/template.js'
import type { AddDiagnostic, templateChecker } from './check-templates.js'
import { findInputCommands } from './commands.js'
import { formatPath } from './format.js'
import type { DocPath } from './load.js'
import { issueMessage, valueAt } from './schema-issues.js'
import { listNames } from './suggest.js'
import type { ValidateOptions } from './validate.js'

const isObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v)

export interface CompensateCheck {
  raw: Record<string, unknown>
  id: string
  task: Record<string, unknown>
  options: ValidateOptions
  add: AddDiagnostic
  suggest: (word: string, candidates: Iterable<string>) => string | undefined
  checkTemplate: ReturnType<typeof templateChecker>
  upstream: { has(id: string): boolean }
}

export function checkCompensate(c: CompensateCheck): void {
  const { id, task, options, add } = c
  const comp = task.compensate
  if (!isObject(comp)) return
  const base = ['tasks', id, 'compensate']
  if (task.approval !== undefined) {
    add({
      level: 'error',
      code: 'compensate_on_approval',
      message: `task '${id}' is an approval gate: it does nothing that a compensation could undo`,
      path: base,
      hint: 'put `compensate:` on the task that does the work',
    })
    return
  }
  if (task.uses !== undefined && comp.backend === undefined) {
    add({
      level: 'error',
      code: 'compensate_needs_backend',
      message: `task '${id}' runs a subworkflow; its compensation must name the backend that undoes it`,
      path: base,
      hint: 'add `backend:` (e.g. `backend: shell`) and its `with:` under `compensate:`',
    })
    return
  }

  // Templates: `output` is the task's own; tasks that read are the task itself and its upstream.
  const readable = { has: (name: string) => name === id || c.upstream.has(name) }
  const mapped = task.map !== undefined
  for (const key of ['with', 'prompt'] as const)
    for (const t of collectTemplates(comp[key], [...base, key]))
      c.checkTemplate(t.text, t.path, readable, id, mapped, true)

  // The backend and its options, as for the task itself.
  const defaults = isObject(c.raw.defaults) ? c.raw.defaults : {}
  const agents = options.agents ?? {}
  const agentName = task.agent ?? defaults.agent
  const agent =
    typeof agentName === 'string' && Object.hasOwn(agents, agentName) ? agents[agentName] : undefined
  const backend =
    options.backendOverride ?? comp.backend ?? task.backend ?? agent?.backend ?? defaults.backend
  if (typeof backend !== 'string' || !options.backends) return
  const info = options.backends.get(backend)
  if (!info) {
    const known = [...options.backends.keys()]
    const guess = c.suggest(backend, known)
    add({
      level: 'error',
      code: 'unknown_backend',
      message: `the compensation of task '${id}' uses backend '${backend}', which this runtime does not have`,
      path: comp.backend !== undefined ? [...base, 'backend'] : base,
      hint: `${guess ? `did you mean '${guess}'? ` : ''}available: ${listNames(known) || 'none'}`,
    })
    return
  }
  const withValue = comp.with ?? {}
  if (info.optionsSchema && collectTemplates(withValue).length === 0) {
    const res = info.optionsSchema.safeParse(withValue)
    if (!res.success) {
      for (const issue of res.error.issues) {
        const p = [...base, 'with', ...(issue.path as (string | number)[])]
        const { message } = issueMessage(issue, valueAt(withValue, issue.path as DocPath), formatPath(p))
        add({
          level: 'error',
          code: 'bad_options',
          message: `${message} (options of backend '${backend}')`,
          path: p,
          hint: `see the README of the '${backend}' backend for its options`,
        })
      }
    }
  }
  const allowed = task.allowInputCommands === true || c.raw.allowInputCommands === true
  if (info.commandFields?.length && !allowed) {
    for (const found of findInputCommands(withValue, info.commandFields)) {
      const p = [...base, 'with', ...found.path]
      add({
        level: 'error',
        code: 'command_from_input',
        message: `the compensation of task '${id}' takes its command from ${found.refs.map((r) => `'${r}'`).join(', ')} (${formatPath(p)}): whoever starts the run would choose what runs`,
        path: p,
        hint: 'write the command in the workflow and pass inputs as separate arguments; or set `allowInputCommands: true`',
      })
    }
  }
}
