import type { Diagnostic, DiagnosticsMode, Json } from '@weft/spec'
import { type InputSpec, TASK_ID_PATTERN, type WorkflowSpec } from '@weft/spec'
import type { z } from 'zod'
import { collectTemplates } from '../template/template.js'
import { checkApprovals } from './check-approvals.js'
import { checkBackends } from './check-backends.js'
import { checkCompensate } from './check-compensate.js'
import { checkMap } from './check-map.js'
import { checkRetries } from './check-retry.js'
import { type AddDiagnostic, templateChecker } from './check-templates.js'
import { formatPath } from './format.js'
import { findCycles, upstreamOf } from './graph.js'
import { checkDefaults, coerceInputs } from './inputs.js'
import { RESERVED_NAMES, resolveLimits, type WorkflowLimits } from './limits.js'
import type { DocPath, Locator } from './load.js'
import { parseWorkflow } from './parse-workflow.js'
import { schemaIssue } from './schema-issues.js'
import { checkShape, checkSize } from './shape.js'
import { brief, listNames, suggester } from './suggest.js'

export interface BackendInfo {
  id: string
  optionsSchema?: z.ZodType
  /**
   * Fields of `with` that hold a command (`Backend.commandFields`): a command taken from an input
   * there is an error unless the workflow or task sets `allowInputCommands: true`.
   */
  commandFields?: readonly string[]
  /** The error codes the backend may fail with (`Backend.errorCodes`), for checks of `retry.on`. */
  errorCodes?: readonly string[]
}

export interface ValidateOptions {
  /** The file the workflow came from, for messages. */
  file?: string
  /** Finds lines for paths (from `loadWorkflowFile`). */
  locate?: Locator
  /** Backends the runtime has; when given, unknown backends and bad `with` options are errors. */
  backends?: ReadonlyMap<string, BackendInfo>
  /** A run's override: every task uses this backend (e.g. `mock` for a dry run). */
  backendOverride?: string
  /** Named agent profiles from the config (`agent:` on a task). */
  agents?: Readonly<Record<string, { backend: string }>>
  /** Run inputs; when given, missing required inputs and bad values are errors. */
  inputs?: Record<string, Json>
  mode?: DiagnosticsMode
  /** Earlier problems (from parsing) to report together with these. */
  diagnostics?: Diagnostic[]
  /** Stricter (or looser) limits than `WORKFLOW_LIMITS`, e.g. for workflows posted to a server. */
  limits?: Partial<WorkflowLimits>
}

export interface ValidationResult {
  ok: boolean
  workflow?: WorkflowSpec
  /** Inputs with defaults applied and values coerced to their declared types. */
  inputs?: Record<string, Json>
  diagnostics: Diagnostic[]
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v)

/**
 * Validates a workflow and collects every problem at once: schema errors, ids, needs, cycles,
 * backends and their options, templates and inputs. Nothing is thrown for a bad workflow.
 */
export function validateWorkflow(raw: unknown, options: ValidateOptions = {}): ValidationResult {
  const diagnostics: Diagnostic[] = [...(options.diagnostics ?? [])]
  const limits = resolveLimits(options.limits)
  const suggest = suggester()
  let unlisted = 0
  let unlistedErrors = false
  const add: AddDiagnostic = (d) => {
    if (diagnostics.length >= MAX_DIAGNOSTICS) {
      unlisted++
      if (d.level === 'error') unlistedErrors = true
      return
    }
    const pos = d.path && options.locate ? options.locate(d.path) : undefined
    diagnostics.push({
      level: d.level,
      code: d.code,
      message: d.message,
      ...(d.path ? { path: formatPath(d.path) } : {}),
      ...(options.file ? { file: options.file } : {}),
      ...(pos ? { line: pos.line, column: pos.column } : {}),
      ...(d.hint ? { hint: d.hint } : {}),
    })
  }

  if (raw === undefined && diagnostics.length > 0) return finish(diagnostics, options.mode)
  if (!isObject(raw)) {
    add({
      level: 'error',
      code: 'not_a_workflow',
      message: 'a workflow must be a mapping with `weft: 1`, `name` and `tasks`',
      hint: 'start from examples/hello.yaml',
    })
    return finish(diagnostics, options.mode)
  }

  // 0. Size and depth, before anything that recurses or scales with the document reads it.
  const rawTasks = isObject(raw.tasks) ? raw.tasks : undefined
  // The keys of a large tasks map are listed once, here (each listing sorts 100,000 keys), and
  // each task is read from the map once: every check below walks these two lists.
  const taskIds = rawTasks ? Object.keys(rawTasks) : []
  const listed = rawTasks ? { value: rawTasks, keys: taskIds } : undefined
  if (!checkSize(raw, listed, limits, add)) return finish(diagnostics, options.mode)
  const tasks = taskIds.map((id) => rawTasks![id])

  // 1. Shape and values.
  const parsed = parseWorkflow(raw, rawTasks === raw.tasks ? taskIds : undefined)
  if (!parsed.success) {
    for (const issue of parsed.error.issues) schemaIssue(issue, add, raw)
  }

  // 2. The graph, from the raw document so that it is checked even when other fields are bad.
  if (rawTasks && taskIds.length === 0) {
    add({
      level: 'error',
      code: 'no_tasks',
      message: 'the workflow has no tasks',
      path: ['tasks'],
      hint: 'add at least one task under `tasks:`',
    })
  }
  const graph = new Map<string, string[]>()
  // Whether every task needs only tasks before it: then there is no cycle to look for. A known
  // need is before this task exactly when it is in `graph` already (tasks enter it in order).
  let needsComeFirst = true
  for (let at = 0; at < taskIds.length; at++) {
    const id = taskIds[at]!
    const task = tasks[at]
    if (RESERVED_NAMES.has(id)) {
      add({
        level: 'error',
        code: 'task_id_reserved',
        message: `task id '${id}' is reserved`,
        path: ['tasks', id],
        hint: `rename the task: '__proto__', 'constructor' and 'prototype' are names every JavaScript object already has`,
      })
    } else if (!TASK_ID_PATTERN.test(id)) {
      add({
        level: 'error',
        code: 'task_id_malformed',
        message: `task id '${brief(id)}' is malformed`,
        path: ['tasks', id],
        hint: 'use letters, digits, `_` and `-`, starting with a letter or `_` (at most 128 characters)',
      })
    }
    const needsRaw = isObject(task) ? task.needs : undefined
    const needs =
      typeof needsRaw === 'string'
        ? [needsRaw]
        : Array.isArray(needsRaw)
          ? allStrings(needsRaw)
            ? needsRaw
            : needsRaw.filter((n): n is string => typeof n === 'string')
          : []
    // The needs that name a task, in order: the list itself while all of them do (most tasks),
    // a copy from the first one that does not.
    let valid: string[] | undefined
    // A set only for the lists long enough to need one; the path only for a problem.
    const seen = needs.length > 8 ? new Set<string>() : undefined
    for (let i = 0; i < needs.length; i++) {
      const dep = needs[i]!
      if (dep === id) {
        valid ??= needs.slice(0, i)
        add({
          level: 'error',
          code: 'self_dependency',
          message: `task '${id}' needs itself`,
          path: needPath(id, needsRaw, i),
          hint: `remove '${id}' from its own needs`,
        })
      } else if (!Object.hasOwn(rawTasks!, dep)) {
        valid ??= needs.slice(0, i)
        const guess = suggest(dep, taskIds)
        add({
          level: 'error',
          code: 'unknown_need',
          message: `task '${brief(id)}' needs '${brief(dep)}', which is not a task of this workflow`,
          path: needPath(id, needsRaw, i),
          hint: guess ? `did you mean '${guess}'?` : `known tasks: ${listNames(taskIds)}`,
        })
      } else if (seen ? seen.has(dep) : needs.indexOf(dep) < i) {
        valid ??= needs.slice(0, i)
        add({
          level: 'warning',
          code: 'duplicate_need',
          message: `task '${id}' lists '${dep}' twice in needs`,
          path: needPath(id, needsRaw, i),
          hint: 'remove the repeat',
        })
      } else {
        if (needsComeFirst && !graph.has(dep)) needsComeFirst = false
        valid?.push(dep)
      }
      seen?.add(dep)
    }
    graph.set(id, valid ?? needs)
  }
  // A few cycles say what to fix; a graph can hold more cycles than anyone could read.
  for (const cycle of needsComeFirst ? [] : findCycles(graph, MAX_CYCLES)) {
    add({
      level: 'error',
      code: 'cycle',
      message: `the tasks form a cycle: ${cycleText(cycle)}`,
      path: ['tasks', cycle[0]!, 'needs'],
      hint: `remove one of these needs so that the graph has no loop`,
    })
  }

  // 3. Backends, options and approval gates; retry policies that can never apply.
  checkBackends({ raw, tasks, taskIds, options, add, suggest })
  checkRetries({ raw, tasks, taskIds, options, add })
  if (rawTasks) checkApprovals(rawTasks, tasks, taskIds, add)

  // 4. Templates.
  const declaredInputs = isObject(raw.inputs) ? raw.inputs : {}
  const checkTemplate = templateChecker({ add, declaredInputs, rawTasks, taskIds, limits, suggest })
  for (let at = 0; at < taskIds.length; at++) {
    const id = taskIds[at]!
    const task = tasks[at]
    if (!isObject(task)) continue
    // Nothing below reads other fields: a task with none of these (most tasks of a generated
    // workflow) has nothing to check here, and gets no upstream view.
    if (
      task.prompt === undefined &&
      task.when === undefined &&
      task.input === undefined &&
      task.with === undefined &&
      task.inputs === undefined &&
      task.map === undefined &&
      task.compensate === undefined &&
      task.approval === undefined &&
      task.context === undefined
    )
      continue
    const upstream = upstreamOf(graph, id)
    const map = isObject(task.map) ? task.map : undefined
    for (const key of TEMPLATE_FIELDS) {
      // Most tasks leave most fields out: no path and no walk for those.
      if (task[key] === undefined) continue
      // `when` decides whether the map runs at all: it is not per item.
      const mapped = map !== undefined && key !== 'when'
      for (const t of collectTemplates(task[key], ['tasks', id, key]))
        checkTemplate(t.text, t.path, upstream, id, mapped)
    }
    if (map) checkMap(map, id, task, checkTemplate, upstream, add)
    checkCompensate({ raw, id, task, options, add, suggest, checkTemplate, upstream })
    // An approval's message is a template too, rendered when the gate opens.
    const approvalMessage = isObject(task.approval) ? task.approval.message : undefined
    if (approvalMessage !== undefined)
      for (const t of collectTemplates(approvalMessage, ['tasks', id, 'approval', 'message']))
        checkTemplate(t.text, t.path, upstream, id)
    const contextSpec = isObject(task.context) ? task.context : undefined
    if (Array.isArray(contextSpec?.from)) {
      contextSpec.from.forEach((entry, i) => {
        if (typeof entry !== 'string') return
        const ref = entry.split(/[.[]/)[0]!
        const path = ['tasks', id, 'context', 'from', i]
        if (!Object.hasOwn(rawTasks!, ref)) {
          const guess = suggest(ref, taskIds)
          add({
            level: 'error',
            code: 'context_unknown_task',
            message: `context.from '${entry}' names no task of this workflow`,
            path,
            hint: guess ? `did you mean '${guess}'?` : `known tasks: ${listNames(taskIds)}`,
          })
        } else if (!upstream.has(ref)) {
          add({
            level: 'error',
            code: 'context_not_upstream',
            message: `task '${id}' takes context from '${ref}', which is not upstream of it`,
            path,
            hint: `add '${ref}' to the needs of '${id}'`,
          })
        }
      })
    }
    if (typeof task.when === 'string' && !task.when.includes('${{')) {
      add({
        level: 'error',
        code: 'when_not_template',
        message: `task '${id}' has \`when: ${task.when}\`, which is not a template`,
        path: ['tasks', id, 'when'],
        hint: 'write the condition inside ${{ }}, e.g. `when: "${{ tasks.check.output.ok == true }}"`',
      })
    }
  }
  for (const t of collectTemplates(raw.outputs, ['outputs'])) checkTemplate(t.text, t.path, 'all')
  for (const t of collectTemplates(raw.inputs, ['inputs'])) {
    add({
      level: 'error',
      code: 'template_in_inputs',
      message: 'input declarations cannot contain templates',
      path: t.path,
      hint: 'use a literal default',
    })
  }

  for (const section of ['inputs', 'outputs'] as const) {
    const names = isObject(raw[section]) ? Object.keys(raw[section]) : []
    for (const name of names.filter((n) => RESERVED_NAMES.has(n))) {
      add({
        level: 'error',
        code: section === 'inputs' ? 'input_name_reserved' : 'output_name_reserved',
        message: `${section === 'inputs' ? 'input' : 'output'} name '${name}' is reserved`,
        path: [section, name],
        hint: `rename it: '__proto__', 'constructor' and 'prototype' are names every JavaScript object already has`,
      })
    }
  }

  // 5. Inputs.
  if (parsed.success) for (const p of checkDefaults(parsed.data.inputs ?? {})) add(p)
  let inputs: Record<string, Json> | undefined
  // Run inputs come from the caller (a request body, the command line): as deep as anything else.
  const tooDeep = (values: unknown) => checkShape(values, limits.maxDepth).find((p) => p.kind === 'too_deep')
  const reportDeep = (problem: { path: DocPath }) =>
    add({
      level: 'error',
      code: 'input_too_deep',
      message: `the run's input ${formatPath(['inputs', ...problem.path])} nests deeper than ${limits.maxDepth} levels of objects and arrays`,
      path: ['inputs', ...problem.path.slice(0, 1)],
      hint: 'pass a flatter value (or a file path the task reads)',
    })
  const givenTooDeep = tooDeep(options.inputs)
  if (givenTooDeep) reportDeep(givenTooDeep)
  else if (options.inputs && parsed.success) {
    const coerced = coerceInputs(parsed.data.inputs ?? {}, options.inputs)
    for (const p of coerced.problems) add({ ...p, path: p.path })
    // Text given for a json/object/array input is parsed here, and can be as deep as any value.
    const parsedTooDeep = tooDeep(coerced.values)
    if (parsedTooDeep) reportDeep(parsedTooDeep)
    else inputs = coerced.values
  }

  if (unlisted > 0) {
    diagnostics.push({
      level: unlistedErrors ? 'error' : 'warning',
      code: 'too_many_diagnostics',
      message: `${unlisted} more problem(s) are not listed`,
      ...(options.file ? { file: options.file } : {}),
      hint: 'fix the problems above and validate again',
    })
  }
  const result = finish(diagnostics, options.mode)
  if (result.ok && parsed.success) {
    result.workflow = parsed.data
    result.inputs = inputs ?? coerceInputs(parsed.data.inputs ?? {}, {}).values
  }
  return result
}

/** The fields of a task that may hold templates. */
const TEMPLATE_FIELDS = ['prompt', 'when', 'input', 'with', 'inputs'] as const

/** Diagnostics listed at most; the rest are counted in one last diagnostic. */
const MAX_DIAGNOSTICS = 1000
/** Cycles reported at most. */
const MAX_CYCLES = 10

/** `a → b → c → a`, or for a long cycle its start and its length. */
function cycleText(cycle: readonly string[]): string {
  if (cycle.length <= 12) return cycle.map(brief).join(' → ')
  return `${cycle.slice(0, 10).map(brief).join(' → ')} → … → ${brief(cycle[cycle.length - 1]!)} (${cycle.length - 1} tasks)`
}

function finish(diagnostics: Diagnostic[], mode: DiagnosticsMode = 'default'): ValidationResult {
  const out =
    mode === 'strict'
      ? diagnostics.map((d) => (d.level === 'warning' ? { ...d, level: 'error' as const } : d))
      : diagnostics
  return { ok: !out.some((d) => d.level === 'error'), diagnostics: out }
}

export type { InputSpec }
export { formatPath }

/** Whether a list holds only strings (then it is used as it is, not copied). */
function allStrings(list: unknown[]): list is string[] {
  for (const x of list) if (typeof x !== 'string') return false
  return true
}

/** Where a task's `i`th need is written: `needs` itself when it is a single string. */
function needPath(id: string, needsRaw: unknown, i: number): DocPath {
  return typeof needsRaw === 'string' ? ['tasks', id, 'needs'] : ['tasks', id, 'needs', i]
}
