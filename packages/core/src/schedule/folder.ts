import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { type Schedule, type ScheduleStore, WorkflowScheduleSchema } from '@weft/spec'
import { loadWorkflowFile } from '../workflow/load.js'
import { defineSchedule } from './define.js'

const WORKFLOW_FILE = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}\.(ya?ml|json)$/i

export interface FolderSyncResult {
  added: number
  updated: number
  removed: number
  unchanged: number
  /** Files or entries that could not be read (the rest is synced all the same). */
  problems: { file: string; message: string }[]
}

/** The id of the `index`-th entry of `schedules:` in the folder's `<name>.yaml`: the same on every server. */
export function folderScheduleId(workflowName: string, index: number): string {
  return `wf_${workflowName}_${index}`
}

/**
 * Brings the store's folder schedules in line with the `schedules:` sections of the folder's
 * workflow files: adds new entries, replaces changed ones (keeping their tick state), removes
 * entries no file declares any more. Ids are derived from the file name and the entry's position,
 * so servers that share a store and a folder converge on the same rows instead of duplicating
 * them. Schedules added by people (`origin: user`) are never touched.
 */
export async function syncFolderSchedules(
  store: ScheduleStore,
  dir: string,
  now: number,
): Promise<FolderSyncResult> {
  const result: FolderSyncResult = { added: 0, updated: 0, removed: 0, unchanged: 0, problems: [] }
  const wanted = new Map<string, Schedule>()
  const files = (await readdir(dir).catch(() => [] as string[])).filter((f) => WORKFLOW_FILE.test(f)).sort()
  for (const file of files) {
    const doc = await loadWorkflowFile(join(dir, file))
    const value = doc.value as { schedules?: unknown } | undefined
    if (!value || typeof value !== 'object' || value.schedules === undefined) continue
    if (!Array.isArray(value.schedules)) {
      result.problems.push({ file, message: `${file}: schedules must be a list` })
      continue
    }
    const name = file.replace(/\.(ya?ml|json)$/i, '')
    value.schedules.forEach((entry, index) => {
      const parsed = WorkflowScheduleSchema.safeParse(entry)
      if (!parsed.success) {
        const issue = parsed.error.issues[0]!
        result.problems.push({
          file,
          message: `${file}: schedules[${index}]${issue.path.length ? `.${issue.path.join('.')}` : ''}: ${issue.message}`,
        })
        return
      }
      try {
        const s = parsed.data
        const schedule = defineSchedule(
          {
            id: folderScheduleId(name, index),
            workflow: { name },
            cron: s.cron,
            ...(s.timezone !== undefined ? { timezone: s.timezone } : {}),
            inputs: s.inputs ?? {},
            missed: s.missed ?? 'skip',
            enabled: s.enabled ?? true,
            origin: 'folder',
          },
          now,
        )
        wanted.set(schedule.id, schedule)
      } catch (err) {
        result.problems.push({ file, message: `${file}: schedules[${index}]: ${(err as Error).message}` })
      }
    })
  }

  const existing = new Map((await store.list()).map((s) => [s.id, s]))
  for (const [id, schedule] of wanted) {
    const old = existing.get(id)
    if (!old) {
      await store.put(schedule)
      result.added++
    } else if (sameDefinition(old, schedule)) {
      result.unchanged++
    } else {
      // A changed entry keeps its history: created then, ticked up to lastTickAt.
      const { nextTickAt: _next, ...rest } = schedule
      await store.put({
        ...rest,
        createdAt: old.createdAt,
        ...(old.lastTickAt ? { lastTickAt: old.lastTickAt } : {}),
        ...(schedule.nextTickAt ? { nextTickAt: schedule.nextTickAt } : {}),
      })
      result.updated++
    }
  }
  for (const [id, old] of existing) {
    if (old.origin === 'folder' && !wanted.has(id)) {
      await store.remove(id)
      result.removed++
    }
  }
  return result
}

function sameDefinition(a: Schedule, b: Schedule): boolean {
  const pick = (s: Schedule) =>
    JSON.stringify([s.workflow, s.cron, s.timezone ?? null, s.inputs, s.missed, s.enabled, s.origin])
  return pick(a) === pick(b)
}
