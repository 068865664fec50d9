import { isAbsolute, relative, resolve, sep } from 'node:path'
import type { Principal } from './auth.js'
import { HttpError } from './errors.js'

/**
 * What remote callers may run (see the README's "Security"). Every refusal is a 403 whose code
 * names the rule: `inline_workflows_disabled`, `backend_not_allowed` (with `details.policy`),
 * `cwd_not_allowed`.
 */
export interface ServerPolicy {
  /**
   * Whether `POST /runs` takes inline workflows (and `POST /runs/{id}/tasks` new tasks) or only
   * `workflowName` from the workflows folder. Default: true without API keys, false with them.
   */
  inlineWorkflows?: boolean
  /** Backends any run started over HTTP may use (`'*'` in the list: every one). Default: every backend. */
  backends?: readonly string[]
  /**
   * Backends inline workflows and added tasks may use, for keys without a `backends` list of their
   * own. Default: every backend except `shell`: write access is not shell access.
   */
  inlineBackends?: readonly string[]
  /**
   * The folder shell tasks are confined to. The shell backend enforces it (`cwdRoot` of
   * `@weft/backend-shell`, after symlinks); here a `cwd` written in the workflow that leaves it is
   * refused before the run starts. Relative `cwd`s are taken from `workDir`.
   */
  shellCwdRoot?: string
  /** The runtime's work dir (where relative `cwd`s start). Default: the current directory. */
  workDir?: string
  /**
   * The runtime's agent profiles (`agent:` in tasks), so the backend of a task that names an agent
   * is known. When backends are restricted, a task naming an agent not listed here is refused.
   */
  agents?: Readonly<Record<string, { backend: string }>>
}

const SHELL = 'shell'

export interface PolicyCheck {
  /** The workflow document (inline or from the folder). */
  workflow: unknown
  inline: boolean
  /** `backend` of the request: every task runs on it. */
  backendOverride?: string | undefined
}

/** Applies a `ServerPolicy` to the requests that start runs or add tasks. */
export class PolicyGate {
  private readonly inlineDefault: boolean

  constructor(
    private readonly policy: ServerPolicy,
    hasKeys: boolean,
  ) {
    this.inlineDefault = policy.inlineWorkflows ?? !hasKeys
  }

  /** Inline workflows (and added tasks) are allowed for `principal`; checked before any parsing. */
  checkSource(principal: Principal, inline: boolean): void {
    if (!inline || (principal.inlineWorkflows ?? this.inlineDefault)) return
    throw new HttpError(
      'inline_workflows_disabled',
      `this server runs only workflows from its workflows folder${principal.inlineWorkflows === false ? ` for the key '${principal.name}'` : ''}`,
      {
        hint: 'start a workflow by name (`workflowName`), or allow inline workflows: policy.inlineWorkflows (or the key’s inlineWorkflows)',
        details: { policy: 'policy.inlineWorkflows' },
      },
    )
  }

  /** Every task of `workflow` may run for `principal`; throws the 403 that names the rule otherwise. */
  checkTasks(principal: Principal, req: PolicyCheck): void {
    const doc = isObject(req.workflow) ? req.workflow : {}
    const tasks = isObject(doc.tasks) ? doc.tasks : {}
    const defaults = isObject(doc.defaults) ? doc.defaults : {}
    for (const id of Object.keys(tasks)) {
      const task = tasks[id]
      if (!isObject(task) || task.approval !== undefined) continue
      if (typeof task.uses === 'string') {
        this.checkUses(req.inline, id, task.uses)
        continue
      }
      const backend = this.backendOf(task, defaults, req.backendOverride)
      if (backend === undefined) continue // no backend at all: validation reports it
      this.checkBackend(principal, req.inline, id, backend)
      if (backend.name === SHELL) this.checkCwd(id, task)
    }
  }

  /**
   * A workflow sent inline may run subworkflows only by name, from the workflows folder: a path
   * would run any workflow file the server can read, with none of the inline rules applied to it.
   */
  private checkUses(inline: boolean, taskId: string, uses: string): void {
    if (!inline || !(uses.includes('/') || uses.includes('\\') || /\.(ya?ml|json)$/i.test(uses))) return
    throw new HttpError(
      'subworkflow_not_allowed',
      `task '${taskId}' runs the file '${uses}' as a subworkflow; inline workflows may use only workflows of the server's folder, by name`,
      {
        hint: `put it in the workflows folder and write \`uses: <name>\` (without a path or extension)`,
        details: { policy: 'policy.inlineWorkflows' },
      },
    )
  }

  private backendOf(
    task: Record<string, unknown>,
    defaults: Record<string, unknown>,
    override: string | undefined,
  ): { name: string } | { name: undefined; agent: string } | undefined {
    if (override !== undefined) return { name: override }
    if (typeof task.backend === 'string') return { name: task.backend }
    const agent = typeof task.agent === 'string' ? task.agent : defaults.agent
    if (typeof agent === 'string') {
      const agents = this.policy.agents ?? {}
      const profile = Object.hasOwn(agents, agent) ? agents[agent] : undefined
      return profile ? { name: profile.backend } : { name: undefined, agent }
    }
    return typeof defaults.backend === 'string' ? { name: defaults.backend } : undefined
  }

  private checkBackend(
    principal: Principal,
    inline: boolean,
    taskId: string,
    backend: { name: string } | { name: undefined; agent: string },
  ): void {
    // A key's own list is its whole list (inline included); otherwise the server's, narrowed for inline.
    const rules: Rule[] = principal.backends
      ? [listRule('apiKeys.backends', principal.backends)]
      : [
          listRule('policy.backends', this.policy.backends),
          ...(inline
            ? [
                this.policy.inlineBackends
                  ? listRule('policy.inlineBackends', this.policy.inlineBackends)
                  : NO_SHELL_INLINE,
              ]
            : []),
        ]
    for (const rule of rules) {
      if (backend.name !== undefined && rule.allows(backend.name)) continue
      const what =
        backend.name === undefined
          ? `the agent '${backend.agent}', whose backend this server does not know,`
          : `the backend '${backend.name}'`
      const who =
        rule.policy === 'apiKeys.backends'
          ? `the key '${principal.name}'`
          : rule.policy === 'policy.inlineBackends'
            ? 'inline workflows'
            : 'runs started over HTTP'
      throw new HttpError('backend_not_allowed', `task '${taskId}' uses ${what}, which ${who} may not use`, {
        hint:
          rule.policy === 'policy.inlineBackends'
            ? `put the workflow in the server's workflows folder and start it by name, or allow the backend in policy.inlineBackends (allowed now: ${rule.text})`
            : `allowed: ${rule.text}`,
        details: {
          policy: rule.policy,
          task: taskId,
          ...(backend.name !== undefined ? { backend: backend.name } : { agent: backend.agent }),
        },
      })
    }
  }

  /** A `cwd` written in the workflow that leaves the root (templates are left to the backend). */
  private checkCwd(taskId: string, task: Record<string, unknown>): void {
    const root = this.policy.shellCwdRoot
    const cwd = isObject(task.with) ? task.with.cwd : undefined
    if (root === undefined || typeof cwd !== 'string' || cwd.includes('${{')) return
    const base = resolve(root)
    const rel = relative(base, resolve(this.policy.workDir ?? process.cwd(), cwd))
    if (rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel))) return
    throw new HttpError(
      'cwd_not_allowed',
      `task '${taskId}': with.cwd '${cwd}' is outside ${base}, the folder shell tasks are confined to`,
      { hint: 'use a cwd inside that folder', details: { policy: 'policy.shellCwdRoot', task: taskId } },
    )
  }
}

interface Rule {
  /** The setting that refused, as `details.policy` names it. */
  policy: 'apiKeys.backends' | 'policy.backends' | 'policy.inlineBackends'
  allows(backend: string): boolean
  text: string
}

function listRule(policy: Rule['policy'], list: readonly string[] | undefined): Rule {
  const all = !list || list.includes('*')
  return {
    policy,
    allows: (b) => all || list!.includes(b),
    text: all ? 'every backend' : list!.join(', ') || 'none',
  }
}

/** The default for inline workflows: every backend but the shell. */
const NO_SHELL_INLINE: Rule = {
  policy: 'policy.inlineBackends',
  allows: (b) => b !== SHELL,
  text: `every backend except ${SHELL}`,
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}
