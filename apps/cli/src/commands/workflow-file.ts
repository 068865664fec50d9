import { readFile } from 'node:fs/promises'
import { isAbsolute, resolve } from 'node:path'
import { type Diagnostic, loadWorkflowFile } from '@weft/core'
import type { CliIo } from '../io.js'
import type { WorkflowDocument } from '../service.js'

/**
 * Reads a workflow file relative to the CLI's working directory, while messages keep naming the
 * file the way the user typed it.
 */
export async function loadWorkflow(
  file: string,
  io: CliIo,
): Promise<WorkflowDocument & { diagnostics: Diagnostic[] }> {
  const path = isAbsolute(file) ? file : resolve(io.cwd, file)
  const doc = await loadWorkflowFile(path)
  for (const d of doc.diagnostics) if (d.file === path) d.file = file
  const text = doc.diagnostics.length === 0 ? await readFile(path, 'utf8') : ''
  return { value: doc.value, locate: doc.locate, diagnostics: doc.diagnostics, file, path, text }
}
