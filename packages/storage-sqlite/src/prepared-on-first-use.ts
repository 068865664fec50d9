import type { Database } from './driver.js'

/**
 * A module's statements on a connection, prepared the first time the module is used on it and
 * kept for as long as the connection lives (modules whose statements the connection does not
 * prepare when it opens).
 */
export function preparedOnFirstUse<S>(prepare: (db: Database) => S): (db: Database) => S {
  const prepared = new WeakMap<Database, S>()
  return (db) => {
    let statements = prepared.get(db)
    if (!statements) {
      statements = prepare(db)
      prepared.set(db, statements)
    }
    return statements
  }
}
