import { extname } from 'node:path'
import {
  API_PREFIX,
  type ArtifactList,
  type GetRunQuery,
  type RerunRequest,
  type StartRunResponse,
} from '@weft/api'
import type { Runtime } from '@weft/core'
import { getRun } from './controls.js'
import { HttpError } from './errors.js'
import type { Handler } from './handlers.js'
import type { WorkflowParser } from './workflow-parser.js'
import { listWorkflowsFolder } from './workflows-folder.js'

export interface RunExtrasDeps {
  runtime: Runtime
  workflowsDir?: string
  parser: WorkflowParser
  limits: { maxWorkflowBytes: number; maxTasksPerRun: number }
}

/** Guessed from the name when the store kept no content type. */
const TYPES_BY_EXTENSION: Record<string, string> = {
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/markdown; charset=utf-8',
  '.log': 'text/plain; charset=utf-8',
  '.json': 'application/json',
  '.jsonl': 'application/x-ndjson',
  '.csv': 'text/csv; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
  '.xml': 'application/xml',
  '.yaml': 'application/yaml',
  '.yml': 'application/yaml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.svg': 'image/svg+xml',
  '.pdf': 'application/pdf',
  '.zip': 'application/zip',
  '.gz': 'application/gzip',
}

export function artifactContentType(name: string, stored?: string): string {
  if (stored) return stored
  return TYPES_BY_EXTENSION[extname(name).toLowerCase()] ?? 'application/octet-stream'
}

/**
 * Routes the web page needs beside the run basics: the run with its spec, reruns, artifacts and
 * the workflows folder's catalog. Merged into `createHandlers`.
 */
export function createRunExtraHandlers(deps: RunExtrasDeps): Record<string, Handler> {
  const { runtime } = deps
  const artifacts = () => {
    const a = runtime.store.artifacts
    if (!runtime.store.capabilities.artifacts || !a) {
      throw new HttpError(
        'unavailable',
        `this server's store (${runtime.store.id}) does not keep artifacts`,
        {
          hint: 'use the SQLite, file or memory store',
          status: 501,
        },
      )
    }
    return a
  }

  return {
    async getRun({ c, params, query }) {
      const id = params.id!
      const run = await getRun(runtime, id)
      const include = (query as GetRunQuery | undefined)?.include
      const spec = include === 'spec' ? await runtime.store.runs.getSpec(id) : undefined
      return c.json({ run, tasks: await runtime.tasks(id), ...(spec ? { spec } : {}) })
    },

    async rerunRun({ c, params, body }) {
      const from = (body as RerunRequest).from
      await getRun(runtime, params.id!)
      const run = await runtime.rerun(params.id!, { from, initiator: 'api' })
      const answer: StartRunResponse = { runId: run.id, replayed: false, run }
      return c.json(answer, 202, { Location: `${API_PREFIX}/runs/${encodeURIComponent(run.id)}` })
    },

    async listArtifacts({ c, params }) {
      await getRun(runtime, params.id!)
      const refs = await artifacts().list(params.id!)
      const answer: ArtifactList = {
        items: refs.map((r) => ({
          runId: r.runId,
          ...(r.taskId !== undefined ? { taskId: r.taskId } : {}),
          name: r.name,
          ...(r.contentType !== undefined ? { contentType: r.contentType } : {}),
          size: r.size,
          createdAt: r.createdAt,
        })),
      }
      return c.json(answer)
    },

    async getArtifact({ c, params }) {
      const id = params.id!
      const name = params.name!
      await getRun(runtime, id)
      const found = await artifacts()
        .get(id, name)
        .catch((err: unknown) => {
          // An invalid name (`..`, absolute) is simply not an artifact of this run.
          if ((err as { code?: string }).code === 'input_invalid') return undefined
          throw err
        })
      if (!found) {
        throw new HttpError('not_found', `run ${id} has no artifact '${name}'`, {
          hint: `list them with GET ${API_PREFIX}/runs/${id}/artifacts`,
        })
      }
      const base = name.split('/').pop() ?? name
      const ascii = base.replace(/[^\x20-\x7e]|["\\]/g, '_')
      return new Response(c.req.method === 'HEAD' ? null : new Uint8Array(found.data), {
        status: 200,
        headers: {
          'Content-Type': artifactContentType(name, found.ref.contentType),
          'Content-Length': String(found.data.byteLength),
          'Content-Disposition': `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(base)}`,
          // An artifact is whatever a task wrote: never run it as a page of this server.
          'Content-Security-Policy': 'sandbox; default-src none',
          'X-Content-Type-Options': 'nosniff',
          'Cache-Control': 'no-store',
        },
      })
    },

    async listWorkflows({ c }) {
      return c.json(await listWorkflowsFolder(deps.workflowsDir, deps.parser, deps.limits))
    },
  }
}
