import type { Store } from '@weft/core'
import type { Db } from '../db.js'

/** What the task queue needs of a Postgres store: its pool and its schema. */
export interface StoreInternals {
  db: Db
  /** The schema, qualified for SQL (`"weft".`). */
  s: string
  /** The connection string and schema, for a LISTEN connection of its own. */
  connectionString: string
}

const internals = new WeakMap<Store, StoreInternals>()

/** Called by createPostgresStore: the queue works on the store's own pool. */
export function registerInternals(store: Store, value: StoreInternals): void {
  internals.set(store, value)
}

/** The pool and schema of a store made by createPostgresStore; throws for any other store. */
export function internalsOf(store: Store): StoreInternals {
  const found = internals.get(store)
  if (!found)
    throw new Error(
      `the task queue needs a store made by createPostgresStore of @weft/storage-postgres (got ${store.id})`,
    )
  return found
}
