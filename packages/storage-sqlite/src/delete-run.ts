import type { Database } from './driver.js'

/**
 * Deletes a run on a connection. `forgetRun` is told first, so that the connection's commit path
 * does not trust what it remembers of a run that is gone (see commit.ts).
 */
export function prepareDeleteRun(db: Database, forgetRun: (runId: string) => void) {
  const runExists = db.prepare('SELECT 1 FROM runs WHERE id = ?').pluck()
  const deleteStatements = [
    'DELETE FROM events WHERE run_id = ?',
    'DELETE FROM tasks WHERE run_id = ?',
    'DELETE FROM task_changes WHERE run_id = ?',
    'DELETE FROM run_tags WHERE run_id = ?',
    'DELETE FROM artifacts WHERE run_id = ?',
    'DELETE FROM signals WHERE run_id = ?',
    'DELETE FROM run_leases WHERE run_id = ?',
    'DELETE FROM run_specs WHERE run_id = ?',
    'DELETE FROM idempotency_keys WHERE run_id = ?',
  ].map((sql) => db.prepare(sql))
  const deleteRunRow = db.prepare('DELETE FROM runs WHERE id = ?')
  const deleteRunMemory = db.prepare('DELETE FROM memory WHERE scope = ?')

  /**
   * One run and everything that belongs to it, all or nothing. The rows are deleted explicitly
   * (not left to ON DELETE CASCADE) because signals and leases have no foreign key to the run.
   * Signal ids are AUTOINCREMENT, so deleting signals never lets an id be handed out again. The
   * run's memory scope goes too; agent scopes outlive the runs that wrote them.
   */
  const deleteRunTx = db.transaction((runId: string): boolean => {
    if (!runExists.get(runId)) return false
    for (const stmt of deleteStatements) stmt.run(runId)
    deleteRunMemory.run(`run:${runId}`)
    deleteRunRow.run(runId)
    return true
  })

  return {
    immediate(runId: string): boolean {
      forgetRun(runId)
      return deleteRunTx.immediate(runId)
    },
  }
}
