/**
 * The WHERE clause of a read whose conditions depend on a filter, with the values of its `?`s in
 * the order they stand: each statement text is prepared once per set of filters given.
 */
export class Conditions {
  readonly #clauses: string[]
  readonly params: unknown[] = []

  /** `always`: the conditions every read has, whatever the filter. */
  constructor(...always: string[]) {
    this.#clauses = always
  }

  /** A condition whose `?`s take `values`, in order. */
  add(clause: string, ...values: unknown[]): void {
    this.#clauses.push(clause)
    this.params.push(...values)
  }

  /** `column` is one of `values`, sent as one JSON array: one `?` however many values there are. */
  addOneOf(column: string, values: readonly unknown[]): void {
    this.add(`${column} IN (SELECT value FROM json_each(?))`, JSON.stringify(values))
  }

  /** `WHERE` and every condition, or nothing without conditions. */
  get where(): string {
    return this.#clauses.length ? `WHERE ${this.#clauses.join(' AND ')}` : ''
  }
}
