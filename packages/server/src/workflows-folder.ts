import { readdir, readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import type { WorkflowInfo, WorkflowInputInfo, WorkflowList } from '@weft/api'
import type { Json } from '@weft/core'
import type { WorkflowParser } from './workflow-parser.js'

/** More files than this are not listed (a folder is a catalog, not a dump). */
const MAX_LISTED = 500
const WORKFLOW_FILE = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}\.(ya?ml|json)$/i

/**
 * `GET /workflows`: the files `POST /runs { workflowName }` can start, each with its declared
 * inputs (so a page can build a form) or the reason it cannot be read.
 */
export async function listWorkflowsFolder(
  dir: string | undefined,
  parser: WorkflowParser,
  limits: { maxWorkflowBytes: number; maxTasksPerRun: number },
): Promise<WorkflowList> {
  if (!dir) return { folder: false, items: [] }
  const names = (await readdir(dir).catch(() => [] as string[]))
    .filter((n) => WORKFLOW_FILE.test(n))
    .sort()
    .slice(0, MAX_LISTED)
  const items: WorkflowInfo[] = []
  for (const file of names) {
    const path = join(dir, file)
    const info = await stat(path).catch(() => undefined)
    if (!info?.isFile()) continue
    const name = file.replace(/\.(ya?ml|json)$/i, '')
    if (info.size > limits.maxWorkflowBytes) {
      items.push({ name, file, inputs: {}, tasks: 0, error: 'larger than the server’s workflow limit' })
      continue
    }
    try {
      const doc = await parser.parse(await readFile(path, 'utf8'), file, limits.maxTasksPerRun)
      const errors = doc.diagnostics.filter((d) => d.level === 'error')
      const value = (doc.value ?? {}) as Record<string, unknown>
      items.push({
        name,
        file,
        ...(typeof value.name === 'string' ? { title: value.name } : {}),
        ...(typeof value.description === 'string' ? { description: value.description } : {}),
        inputs: inputsOf(value.inputs),
        tasks: doc.tasks,
        ...(errors.length ? { error: errors[0]!.message } : {}),
      })
    } catch (err) {
      items.push({ name, file, inputs: {}, tasks: 0, error: (err as Error).message })
    }
  }
  return { folder: true, items }
}

function inputsOf(raw: unknown): Record<string, WorkflowInputInfo> {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return {}
  const out: Record<string, WorkflowInputInfo> = {}
  for (const [key, spec] of Object.entries(raw as Record<string, unknown>)) {
    const s = (spec && typeof spec === 'object' ? spec : {}) as Record<string, unknown>
    const hasDefault = s.default !== undefined
    out[key] = {
      ...(typeof s.type === 'string' ? { type: s.type } : { type: 'string' }),
      ...(typeof s.description === 'string' ? { description: s.description } : {}),
      ...(hasDefault ? { default: s.default as Json } : {}),
      required: typeof s.required === 'boolean' ? s.required : !hasDefault,
    }
  }
  return out
}
