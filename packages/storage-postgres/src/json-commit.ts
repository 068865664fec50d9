import type { Migration } from './migrations.js'
import { newRunTasksMigration } from './new-run-tasks.js'

/** The function migration 11 adds; commit.ts calls it. */
export const COMMIT_FUNCTION = 'weft_commit_json'

/** Migration 10's texts this migration rewrites, each checked to be there. */
const REWRITES: [from: string, to: string][] = [
  ['CREATE OR REPLACE FUNCTION {s}weft_commit(', `CREATE FUNCTION {s}${COMMIT_FUNCTION}(`],
  ['e_severity text[], e_data text[]', 'e_severity text[], e_data json'],
  ['t_priority int[], t_state text[]', 't_priority int[], t_state json'],
  ['m_key text[], m_value text[]', 'm_key text[], m_value json'],
  [
    'SELECT p_run_id, v_last + e.n, e.ts, e.type, e.task_id, e.attempt, e.severity, e.data',
    'SELECT p_run_id, v_last + e.n, e.ts, e.type, e.task_id, e.attempt, e.severity, e.data::text',
  ],
  [
    'FROM unnest(e_ts, e_type, e_task, e_attempt, e_severity, e_data)',
    'FROM ROWS FROM (unnest(e_ts), unnest(e_type), unnest(e_task), unnest(e_attempt), unnest(e_severity), json_array_elements(e_data))',
  ],
  [
    'SELECT p_run_id, t.task_id, t.ord, t.status, t.attempt, t.priority, t.state',
    'SELECT p_run_id, t.task_id, t.ord, t.status, t.attempt, t.priority, t.state::text',
  ],
  [
    'FROM unnest(t_id, t_ord, t_status, t_attempt, t_priority, t_state)',
    'FROM ROWS FROM (unnest(t_id), unnest(t_ord), unnest(t_status), unnest(t_attempt), unnest(t_priority), json_array_elements(t_state))',
  ],
  [
    'SELECT m.scope, m.key, m.value, m_at FROM unnest(m_scope, m_key, m_value)',
    'SELECT m.scope, m.key, m.value::text, m_at FROM ROWS FROM (unnest(m_scope), unnest(m_key), json_array_elements(m_value))',
  ],
]

/**
 * Migration 11: `weft_commit_json`, migration 10's `weft_commit` with the JSON texts of a commit
 * (event data, task states, memory values) passed as one JSON array each instead of a text array.
 *
 * The owner of a busy run spent a tenth of its time building the commit's array literals: each
 * JSON text was escaped again as an element (every `"` and `\`), and PostgreSQL unescaped it
 * again. A JSON array of those texts is their concatenation (`[a,b,…]`), and
 * `json_array_elements` hands back each element's text exactly as written (the `json` type keeps
 * the text; no normalisation, unlike `jsonb`), so the stored texts are the same as before.
 *
 * A new name, not a replacement: a process of the previous version still running during an
 * upgrade (it checked the schema when it started) goes on calling `weft_commit`, which stays and
 * writes the same rows.
 */
export function jsonCommitMigration(commitMigration: Migration): Migration {
  let sql = newRunTasksMigration(commitMigration).sql
  for (const [from, to] of REWRITES) {
    if (!sql.includes(from))
      throw new Error(`weft_commit no longer has the text migration 11 rewrites: ${from}`)
    sql = sql.replaceAll(from, to)
  }
  return { version: 11, name: 'commit with JSON arrays', sql }
}
