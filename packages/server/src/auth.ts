import { createHash, timingSafeEqual } from 'node:crypto'
import { SCOPES, type Scope, scopeAllows } from '@weft/api'
import { HttpError } from './errors.js'

/** An API key: who it is (for logs), the secret, and what it may do (`read` < `write` < `admin`). */
export interface ApiKey {
  name: string
  key: string
  scopes: Scope[]
  /** Backends runs started with this key may use (inline ones too). Default: the server's policy. */
  backends?: string[]
  /** Whether this key may post inline workflows. Default: the server's `policy.inlineWorkflows`. */
  inlineWorkflows?: boolean
}

/** Who made a request: a key's name and scopes, or everyone when the server has no keys. */
export interface Principal {
  name: string
  scopes: readonly Scope[]
  backends?: readonly string[]
  inlineWorkflows?: boolean
}

export const ANONYMOUS_ADMIN: Principal = { name: 'anonymous', scopes: SCOPES }

const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest()

/**
 * Checks bearer keys in constant time: the given key's SHA-256 is compared with every configured
 * key's (all of them, whichever matches), so neither the key's length nor which key matched shows
 * in the timing.
 */
export function createAuthenticator(keys: readonly ApiKey[]) {
  const names = new Set<string>()
  const digests = keys.map((k) => {
    if (typeof k.key !== 'string' || k.key.length < 8) {
      throw new TypeError(`API key '${k.name}': a key must be a string of at least 8 characters`)
    }
    if (names.has(k.name)) throw new TypeError(`API key name '${k.name}' is used twice`)
    names.add(k.name)
    for (const s of k.scopes) {
      if (!(SCOPES as readonly string[]).includes(s))
        throw new TypeError(`API key '${k.name}': unknown scope '${s}'`)
    }
    const principal: Principal = {
      name: k.name,
      scopes: [...k.scopes],
      ...(k.backends ? { backends: [...k.backends] } : {}),
      ...(k.inlineWorkflows !== undefined ? { inlineWorkflows: k.inlineWorkflows } : {}),
    }
    return { principal, digest: sha256(k.key) }
  })

  return function authenticate(given: string | undefined): Principal {
    if (!given) {
      throw new HttpError('unauthorized', 'this route needs an API key', {
        hint: 'send `Authorization: Bearer <key>`',
        headers: { 'WWW-Authenticate': 'Bearer realm="weft"' },
      })
    }
    const digest = sha256(given)
    let found: Principal | undefined
    for (const k of digests) {
      if (timingSafeEqual(digest, k.digest) && !found) found = k.principal
    }
    if (!found) {
      throw new HttpError('unauthorized', 'unknown API key', {
        hint: 'check the key; keys are configured on the server',
        headers: { 'WWW-Authenticate': 'Bearer realm="weft", error="invalid_token"' },
      })
    }
    return found
  }
}

/** The key of `Authorization: Bearer <key>` (undefined when absent or another scheme). */
export function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined
  const m = /^Bearer[ \t]+(\S.*)$/i.exec(header.trim())
  return m?.[1]?.trim() || undefined
}

export function requireScope(principal: Principal, needed: Scope): void {
  if (!scopeAllows(principal.scopes, needed)) {
    throw new HttpError('forbidden', `the key '${principal.name}' lacks the '${needed}' scope`, {
      hint: `use a key with the '${needed}' scope`,
    })
  }
}
