import { createHash } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { WeftError } from '@weft/core'
import pg from 'pg'

/** Something a query can run on: the pool (one statement, autocommit) or a transaction's client. */
export interface Queryable {
  /**
   * Rows as arrays. `prepared` (default true) names the statement, so that it is planned once per
   * connection; queries whose best plan depends on the values (filters a user picks) pass false
   * and are planned for their values each time.
   */
  query<R extends unknown[] = unknown[]>(sql: string, params?: unknown[], prepared?: boolean): Promise<R[]>
  /** The number of rows an INSERT/UPDATE/DELETE touched. */
  execute(sql: string, params?: unknown[]): Promise<number>
  /** Unprepared SQL without parameters, which may hold several statements (migrations, DDL). */
  script(sql: string): Promise<void>
}

const INT8_OID = 20

/**
 * bigint columns (seqs, signal ids, sizes) as JavaScript numbers: every value weft stores fits in
 * 2^53, and the contract's types are numbers. (pg's default is a string, to be safe for bigger.)
 */
const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === INT8_OID && format !== 'binary') return (value: string) => Number(value)
    return pg.types.getTypeParser(oid, format)
  },
} as pg.CustomTypesConfig

/**
 * Statement names by SQL text. A named statement is parsed and planned once per connection and
 * then only bound and executed: the hot reads and the commit's statements skip the parser.
 */
const names = new Map<string, string>()
function statementName(sql: string): string {
  let name = names.get(sql)
  if (!name) {
    name = `weft_${createHash('sha1').update(sql).digest('hex').slice(0, 20)}`
    names.set(sql, name)
  }
  return name
}

function on(client: pg.Pool | pg.PoolClient): Queryable {
  return {
    async query<R extends unknown[]>(sql: string, params: unknown[] = [], prepared = true) {
      const res = await client.query<R>({
        ...(prepared ? { name: statementName(sql) } : {}),
        text: sql,
        values: params,
        rowMode: 'array',
      })
      return res.rows
    },
    async execute(sql: string, params: unknown[] = []) {
      const res = await client.query({ name: statementName(sql), text: sql, values: params })
      return res.rowCount ?? 0
    },
    async script(sql: string) {
      await client.query(sql)
    },
  }
}

export interface DbOptions {
  connectionString: string
  /** The location without its password, for error messages. */
  display: string
  /** What the server shows in pg_stat_activity. */
  applicationName: string
  maxConnections: number
}

/** SQLSTATEs after which a whole transaction may simply run again: nothing of it was written. */
const RETRYABLE = new Set([
  '40001', // serialization_failure
  '40P01', // deadlock_detected
])

/**
 * The store's connection pool. Every query first waits for `gate` (the migrations, run once) and
 * turns a connection failure into an error that says where and what to check. `raw` is the same
 * pool without the gate: what the migrations themselves run on.
 */
export class Db implements Queryable {
  readonly pool: pg.Pool
  readonly raw: Queryable & { tx: Db['tx'] }
  private readonly direct: Queryable
  private gate: () => Promise<void> = async () => {}
  private closed = false

  constructor(private readonly options: DbOptions) {
    this.pool = new pg.Pool({
      connectionString: options.connectionString,
      application_name: options.applicationName,
      max: options.maxConnections,
      types,
      // A connection that cannot be made in this time is an error the user sees, not a hang.
      connectionTimeoutMillis: 15_000,
    })
    // An idle connection that the server closes (restart, idle timeout) emits 'error' on the
    // pool; without a listener that would end the process. The next query opens a new one.
    this.pool.on('error', () => {})
    this.direct = on(this.pool)
    this.raw = { ...this.direct, tx: (work) => this.transaction(work) }
  }

  /** Every later call waits for `gate` first (it memoises its own success). */
  guard(gate: () => Promise<void>): void {
    this.gate = gate
  }

  query<R extends unknown[]>(sql: string, params?: unknown[], prepared?: boolean): Promise<R[]> {
    return this.guarded(() => this.direct.query<R>(sql, params, prepared))
  }

  execute(sql: string, params?: unknown[]): Promise<number> {
    return this.guarded(() => this.direct.execute(sql, params))
  }

  script(sql: string): Promise<void> {
    return this.guarded(() => this.direct.script(sql))
  }

  /**
   * Runs `work` in one transaction (READ COMMITTED) on one connection. A deadlock or a
   * serialization failure rolls everything back, so the whole transaction runs again (a few
   * times, with jittered backoff); any other error rolls back and is thrown.
   */
  tx<T>(work: (q: Queryable) => Promise<T>): Promise<T> {
    return this.guarded(() => this.transaction(work))
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    await this.pool.end()
  }

  private async guarded<T>(op: () => Promise<T>): Promise<T> {
    if (this.closed) {
      throw new WeftError('internal', `the postgres store ${this.options.display} is closed`, {
        hint: 'create a new store to connect again',
      })
    }
    try {
      await this.gate()
      return await op()
    } catch (err) {
      throw explainConnectionError(err, this.options.display)
    }
  }

  /**
   * Runs `op` (one statement, or a whole transaction) again when the server rolled it back for a
   * deadlock or a serialization failure: nothing of it was written, so running it again is safe.
   * A few times, with jittered backoff so that the two sides of a deadlock do not meet again.
   */
  async retrying<T>(op: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await op()
      } catch (err) {
        if (!isRetryable(err) || attempt >= 5) throw err
      }
      const delay = 10 * 2 ** (attempt - 1)
      await sleep(delay / 2 + Math.random() * delay)
    }
  }

  private transaction<T>(work: (q: Queryable) => Promise<T>): Promise<T> {
    return this.retrying(async () => {
      const client = await this.pool.connect()
      let broken: Error | undefined
      // The connection may break between two statements (server restart): pg then emits 'error'
      // on the client, which would end the process without a listener. The next statement of the
      // transaction fails instead, and the client is discarded below.
      const onError = (err: Error) => {
        broken ??= err
      }
      client.on('error', onError)
      try {
        await client.query('BEGIN')
        const result = await work(on(client))
        await client.query('COMMIT')
        return result
      } catch (err) {
        try {
          await client.query('ROLLBACK')
        } catch (rollbackErr) {
          // The connection is unusable: drop it from the pool instead of handing it out again.
          broken = rollbackErr as Error
        }
        throw err
      } finally {
        client.off('error', onError)
        client.release(broken)
      }
    })
  }
}

export function sqlState(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined
}

function isRetryable(err: unknown): boolean {
  const state = sqlState(err)
  return state !== undefined && RETRYABLE.has(state)
}

/**
 * A connection failure as a WeftError that says where and what to check; other errors pass
 * through unchanged (WeftErrors of the store, and database errors with their SQLSTATE).
 */
export function explainConnectionError(err: unknown, display: string): unknown {
  if (err instanceof WeftError) return err
  if (sqlState(err) === '22021') {
    // character_not_in_repertoire: PostgreSQL text cannot hold U+0000.
    return new WeftError('input_invalid', `PostgreSQL cannot store this text: ${(err as Error).message}`, {
      hint: 'remove NUL characters (U+0000) from ids, names, keys and tags',
      cause: err,
    })
  }
  const code = (err as { code?: unknown } | null)?.code
  const network = ['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ETIMEDOUT', 'ECONNRESET', 'EAI_AGAIN']
  const state = sqlState(err)
  if (
    (typeof code === 'string' && network.includes(code)) ||
    state === '3D000' || // invalid_catalog_name: the database does not exist
    state === '28P01' || // invalid_password
    state === '28000' || // invalid_authorization_specification
    (err instanceof Error && /timeout exceeded when trying to connect/i.test(err.message))
  ) {
    return new WeftError(
      'internal',
      `cannot reach the PostgreSQL store ${display}: ${(err as Error).message}`,
      {
        hint: 'check that the server runs and accepts this user (pg_isready -h HOST -p PORT), and that the database exists (createdb NAME)',
        cause: err,
      },
    )
  }
  return err
}
