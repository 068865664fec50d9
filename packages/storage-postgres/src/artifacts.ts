import {
  type ArtifactStore,
  artifactNameProblem,
  assertArtifactName,
  type MemoryStore,
  WeftError,
} from '@weft/core'
import { type Db, sqlState } from './db.js'
import {
  ARTIFACT_COLUMNS,
  type ArtifactRow,
  byUtf16,
  ISO_NOW,
  MEMORY_COLUMNS,
  type MemoryRow,
  toArtifactRef,
  toMemoryEntry,
} from './rows.js'

/**
 * Artifacts as bytea rows beside their run: backed up, copied and deleted with it. The foreign
 * key to the run decides "unknown run" inside the insert itself, so an artifact put while its run
 * is being deleted waits for the delete and then fails instead of leaving an orphan.
 */
export function artifactStore(db: Db, s: string): ArtifactStore {
  const put = `INSERT INTO ${s}artifacts (${ARTIFACT_COLUMNS}, data) VALUES ($1, $2, $3, $4, $5, ${ISO_NOW}, $6)
    ON CONFLICT (run_id, name) DO UPDATE SET task_id = excluded.task_id, content_type = excluded.content_type,
      size = excluded.size, created_at = excluded.created_at, data = excluded.data
    RETURNING ${ARTIFACT_COLUMNS}`
  const get = `SELECT ${ARTIFACT_COLUMNS}, data FROM ${s}artifacts WHERE run_id = $1 AND name = $2`
  const list = `SELECT ${ARTIFACT_COLUMNS} FROM ${s}artifacts WHERE run_id = $1`

  return {
    async put(a) {
      assertArtifactName(a.name)
      // pg sends a Buffer as bytea; this one views the caller's bytes without copying them.
      const bytes = Buffer.from(a.data.buffer, a.data.byteOffset, a.data.byteLength)
      try {
        const [row] = await db.query<ArtifactRow>(put, [
          a.runId,
          a.name,
          a.taskId || null,
          a.contentType || null,
          a.data.byteLength,
          bytes,
        ])
        return toArtifactRef(row!)
      } catch (err) {
        if (sqlState(err) === '23503') throw new WeftError('run_not_found', `run ${a.runId} does not exist`)
        throw err
      }
    },
    async get(runId, name) {
      // No artifact can have a refused name, and some (a NUL byte) PostgreSQL cannot even compare.
      if (artifactNameProblem(name)) return undefined
      const [row] = await db.query<[...ArtifactRow, Buffer]>(get, [runId, name])
      if (!row) return undefined
      const data = row[6]
      // A plain Uint8Array over the Buffer's bytes, as the contract types it (no copy).
      return {
        ref: toArtifactRef(row.slice(0, 6) as ArtifactRow),
        data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
      }
    },
    async list(runId) {
      return (await db.query<ArtifactRow>(list, [runId])).map(toArtifactRef).sort(byUtf16((r) => r.name))
    },
  }
}

/** Reads of memory; writes come with commits (see commit.ts). */
export function memoryStore(db: Db, s: string): MemoryStore {
  const get = `SELECT ${MEMORY_COLUMNS} FROM ${s}memory WHERE scope = $1 AND key = $2`
  const list = `SELECT ${MEMORY_COLUMNS} FROM ${s}memory WHERE scope = $1`
  return {
    async get(scope, key) {
      const [row] = await db.query<MemoryRow>(get, [scope, key])
      return row && toMemoryEntry(row)
    },
    async list(scope) {
      return (await db.query<MemoryRow>(list, [scope])).map(toMemoryEntry).sort(byUtf16((e) => e.key))
    },
  }
}
