import { collectTemplates } from '../template/template.js'
import { checkOptions } from './backend-options.js'
import type { AddDiagnostic } from './check-templates.js'
import { findInputCommands } from './commands.js'
import { formatPath } from './format.js'
import type { DocPath } from './load.js'
import { issueMessage, valueAt } from './schema-issues.js'
import { listNames } from './suggest.js'
import type { ValidateOptions } from './validate.js'

/** Backend ids weft publishes, and the package that provides each. */
const OFFICIAL_BACKENDS = new Map([
  ['claude-code', '@weft/backend-claude-code'],
  ['gemini-cli', '@weft/backend-gemini-cli'],
  ['codex', '@weft/backend-codex'],
  ['openai', '@weft/backend-openai'],
  ['anthropic', '@weft/backend-anthropic'],
])

/** `with` of a task that has none (only read). */
const NO_OPTIONS = Object.freeze({})

const isObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v)

export interface BackendCheckContext {
  raw: Record<string, unknown>
  /** The value of each task, in the order of `taskIds`. */
  tasks: unknown[]
  taskIds: string[]
  options: ValidateOptions
  add: AddDiagnostic
  suggest: (word: string, candidates: Iterable<string>) => string | undefined
}

/**
 * Each task's agent and backend exist, its options fit the backend's schema, an approval gate
 * carries no work, and no command comes from an input unless the workflow opts in.
 */
export function checkBackends(ctx: BackendCheckContext): void {
  const { raw, tasks, taskIds, options, add, suggest } = ctx
  const defaults = isObject(raw.defaults) ? raw.defaults : {}
  for (let at = 0; at < taskIds.length; at++) {
    const id = taskIds[at]!
    const task = tasks[at]
    if (!isObject(task)) continue
    if (task.approval !== undefined) {
      for (const k of ['backend', 'prompt', 'with', 'input'] as const) {
        if (task[k] !== undefined) {
          add({
            level: 'warning',
            code: 'approval_ignores',
            message: `task '${id}' is an approval gate; its \`${k}\` is not used`,
            path: ['tasks', id, k],
            hint: 'move the work to a task that needs this gate, or remove the key',
          })
        }
      }
      continue
    }
    if (task.inputs !== undefined && task.uses === undefined) {
      add({
        level: 'error',
        code: 'inputs_without_uses',
        message: `task '${id}' has \`inputs\`, which only a subworkflow task (\`uses:\`) takes`,
        path: ['tasks', id, 'inputs'],
        hint: 'add `uses: ./other.yaml`, or pass values to the backend with `input:` or `with:`',
      })
    }
    if (task.uses !== undefined) {
      // A subworkflow runs its own tasks with their own backends.
      for (const k of ['backend', 'agent', 'model', 'prompt', 'input', 'with', 'approval'] as const) {
        if (task[k] !== undefined) {
          add({
            level: k === 'approval' ? 'error' : 'warning',
            code: 'uses_ignores',
            message: `task '${id}' runs the subworkflow '${String(task.uses)}'; its \`${k}\` is not used`,
            path: ['tasks', id, k],
            hint: 'set it in the subworkflow, or pass values through `inputs:`',
          })
        }
      }
      continue
    }
    const agentName = (task.agent ?? defaults.agent) as unknown
    // Own properties only: `agent: toString` must not find Object.prototype.toString.
    const agents = options.agents ?? {}
    const agent =
      typeof agentName === 'string' && Object.hasOwn(agents, agentName) ? agents[agentName] : undefined
    if (typeof agentName === 'string' && !agent) {
      const known = Object.keys(agents)
      const guess = suggest(agentName, known)
      add({
        level: 'error',
        code: 'unknown_agent',
        message: `task '${id}' uses agent '${agentName}', which is not defined`,
        path: task.agent !== undefined ? ['tasks', id, 'agent'] : ['defaults', 'agent'],
        hint: guess ? `did you mean '${guess}'?` : 'define it under `agents:` in weft.config',
      })
      continue
    }
    const backend = (options.backendOverride ?? task.backend ?? agent?.backend ?? defaults.backend) as unknown
    if (backend === undefined) {
      add({
        level: 'error',
        code: 'no_backend',
        message: `task '${id}' has no backend`,
        path: ['tasks', id],
        hint: 'set `backend:` on the task or `defaults.backend` for the workflow (e.g. `backend: mock`)',
      })
      continue
    }
    if (typeof backend !== 'string' || !options.backends) continue
    const info = options.backends.get(backend)
    if (!info) {
      const path = options.backendOverride
        ? ['tasks', id]
        : task.backend !== undefined
          ? ['tasks', id, 'backend']
          : ['defaults', 'backend']
      const known = [...options.backends.keys()]
      const guess = suggest(backend, known)
      add({
        level: 'error',
        code: 'unknown_backend',
        message: `task '${id}' uses backend '${backend}', which this runtime does not have`,
        path,
        hint: OFFICIAL_BACKENDS.has(backend)
          ? `install it: pnpm add ${OFFICIAL_BACKENDS.get(backend)} (the weft CLI uses it once installed; in code, pass its plugin to createRuntime). Available now: ${listNames(known) || 'none'}`
          : `${guess ? `did you mean '${guess}'? ` : ''}available: ${listNames(known) || 'none'}; to add one, install its package and list it under \`plugins\` in weft.config`,
      })
      continue
    }
    const withValue = task.with ?? NO_OPTIONS
    if (info.optionsSchema && collectTemplates(withValue).length === 0) {
      const res = checkOptions(info.optionsSchema, withValue)
      if (!res.success) {
        for (const issue of res.error.issues) {
          const p = ['tasks', id, 'with', ...(issue.path as (string | number)[])]
          const readme = `see the README of the '${backend}' backend for its options`
          if (issue.code === 'unrecognized_keys') {
            // One diagnostic per key, each with the key it most likely meant or the keys there are.
            const known = optionKeysAt(info.optionsSchema, issue.path as DocPath)
            for (const key of issue.keys) {
              const guess = known.length ? suggest(key, known) : undefined
              add({
                level: 'error',
                code: 'bad_options',
                message: `${formatPath(p)} has an unknown option '${key}' (options of backend '${backend}')`,
                path: [...p, key],
                hint: guess
                  ? `did you mean '${guess}'?`
                  : known.length
                    ? `its options: ${known.join(', ')}; ${readme}`
                    : readme,
              })
            }
            continue
          }
          const { message } = issueMessage(issue, valueAt(withValue, issue.path as DocPath), formatPath(p))
          add({
            level: 'error',
            code: 'bad_options',
            message: `${message} (options of backend '${backend}')`,
            path: p,
            hint: readme,
          })
        }
      }
    }
    const allowed = task.allowInputCommands === true || raw.allowInputCommands === true
    if (info.commandFields?.length && !allowed) {
      for (const found of findInputCommands(withValue, info.commandFields)) {
        const p = ['tasks', id, 'with', ...found.path]
        const what =
          found.what === 'script'
            ? 'the shell script it runs'
            : found.what === 'program'
              ? 'the program it runs'
              : 'its whole command'
        add({
          level: 'error',
          code: 'command_from_input',
          message: `task '${id}' takes ${what} from ${found.refs.map((r) => `'${r}'`).join(', ')} (${formatPath(p)}): whoever starts the run would choose what runs`,
          path: p,
          hint: 'write the command in the workflow and pass inputs as separate arguments (e.g. ["grep", "${{ inputs.pattern }}"]); if callers are meant to choose the command, set `allowInputCommands: true` on the task or the workflow',
        })
      }
    }
  }
}

/**
 * The keys an options schema allows at `path` (top level, or a nested object of it), for "did you
 * mean" hints; empty when the schema there is not a plain object (a union, a preprocess).
 */
function optionKeysAt(schema: unknown, path: DocPath): string[] {
  let at = schema as { shape?: Record<string, unknown> } | undefined
  for (const part of path) {
    if (typeof part !== 'string' || !at?.shape) return []
    at = unwrap(at.shape[part]) as typeof at
  }
  return at?.shape ? Object.keys(at.shape) : []
}

/** An optional or defaulted schema's inner schema (zod 4 keeps it in `def.innerType`). */
function unwrap(schema: unknown): unknown {
  let s = schema as { def?: { innerType?: unknown } } | undefined
  while (s?.def?.innerType) s = s.def.innerType as typeof s
  return s
}
