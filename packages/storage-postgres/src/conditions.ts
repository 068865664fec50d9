/**
 * The WHERE clause of a read whose conditions depend on a filter, with the parameters its `$n`s
 * stand for, numbered in the order they are taken.
 */
export class Conditions {
  readonly #clauses: string[]
  readonly params: unknown[] = []

  /** `always`: the conditions every read has, whatever the filter. */
  constructor(...always: string[]) {
    this.#clauses = always
  }

  /** `$n` for `value`, the next parameter (of a condition, or of the rest of the statement). */
  param(value: unknown): string {
    this.params.push(value)
    return `$${this.params.length}`
  }

  add(clause: string): void {
    this.#clauses.push(clause)
  }

  /**
   * `column` is one of `values`. One value is `=`, not `= ANY`: the planner then knows the value
   * and picks the index for it.
   */
  addOneOf(column: string, values: readonly string[]): void {
    this.add(
      values.length === 1
        ? `${column} = ${this.param(values[0])}`
        : `${column} = ANY(${this.param(values)}::text[])`,
    )
  }

  /** `WHERE` and every condition, or nothing without conditions. */
  get where(): string {
    return this.#clauses.length ? `WHERE ${this.#clauses.join(' AND ')}` : ''
  }
}
