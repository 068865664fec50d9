import { type ArtifactRef, type ArtifactStore, assertArtifactName, WeftError } from '@weft/core'
import type { Work } from './connection.js'
import type { Database, Statement, Transaction } from './driver.js'
import { ARTIFACT_COLUMNS, type ArtifactRow, toArtifactRef } from './rows.js'

/** What `put` is given: the artifact and its bytes. */
type ArtifactPut = { runId: string; taskId?: string; name: string; contentType?: string; data: Uint8Array }

/** The artifact statements of one connection. */
export interface ArtifactStatements {
  putArtifact: Transaction<(a: ArtifactPut) => ArtifactRef>
  getArtifact: Statement
  listArtifacts: Statement
}

/** Artifacts as BLOB rows beside their run, deleted with it. */
export function prepareArtifacts(db: Database): ArtifactStatements {
  const runExists = db.prepare('SELECT 1 FROM runs WHERE id = ?').pluck()
  const upsertArtifact = db.prepare(
    `INSERT INTO artifacts (${ARTIFACT_COLUMNS}, data) VALUES (?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (run_id, name) DO UPDATE SET task_id = excluded.task_id, content_type = excluded.content_type,
       size = excluded.size, created_at = excluded.created_at, data = excluded.data`,
  )

  /** Checks the run and writes under one lock, so a run deleted meanwhile gets no orphan artifact. */
  const putArtifact = db.transaction((a: ArtifactPut) => {
    if (!runExists.get(a.runId)) throw new WeftError('run_not_found', `run ${a.runId} does not exist`)
    const row: ArtifactRow = {
      run_id: a.runId,
      name: a.name,
      task_id: a.taskId || null,
      content_type: a.contentType || null,
      size: a.data.byteLength,
      created_at: new Date().toISOString(),
    }
    // The driver binds a Uint8Array as a BLOB of exactly the viewed bytes.
    upsertArtifact.run(row.run_id, row.name, row.task_id, row.content_type, row.size, row.created_at, a.data)
    return toArtifactRef(row)
  })

  return {
    putArtifact,
    getArtifact: db.prepare(`SELECT ${ARTIFACT_COLUMNS}, data FROM artifacts WHERE run_id = ? AND name = ?`),
    listArtifacts: db.prepare(`SELECT ${ARTIFACT_COLUMNS} FROM artifacts WHERE run_id = ? ORDER BY name`),
  }
}

/** The artifacts part of the SQLite store; `run` is the store's unit of work on its connection. */
export function createSqliteArtifactStore(run: Work<ArtifactStatements>): ArtifactStore {
  return {
    put: async (artifact) => {
      assertArtifactName(artifact.name)
      return run((c) => c.putArtifact.immediate(artifact))
    },
    get: (runId, name) =>
      run((c) => {
        // The driver reads a BLOB as a plain Uint8Array, as the contract types it.
        const row = c.getArtifact.get(runId, name) as (ArtifactRow & { data: Uint8Array }) | undefined
        return row && { ref: toArtifactRef(row), data: row.data }
      }),
    list: (runId) =>
      run((c) =>
        (c.listArtifacts.all(runId) as ArtifactRow[])
          .map(toArtifactRef)
          // SQLite orders names by UTF-8 bytes; sort by UTF-16 code units like the other stores.
          .sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0)),
      ),
  }
}
