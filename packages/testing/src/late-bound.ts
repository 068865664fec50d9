/**
 * A value that exists only once a file's `beforeAll` ran, usable by a name taken at the top of the
 * file: every property read goes to the value as it is then (methods bound to it).
 */
export function lateBound<T extends object>(get: () => T | undefined, what: string): T {
  return new Proxy({} as T, {
    get(_, key) {
      const value = get()
      if (value === undefined) throw new Error(`${what} exists only while the tests of the file run`)
      const member = Reflect.get(value, key, value) as unknown
      return typeof member === 'function' ? member.bind(value) : member
    },
  })
}
