import { createClient, isWeftApiError, type WeftClient } from '@weft/client'
import { createContext, useContext } from 'react'

const KEY_STORAGE = 'weft.apiKey'

/** The API key the user typed, kept for this browser tab's session only. */
export function storedKey(): string | undefined {
  try {
    return sessionStorage.getItem(KEY_STORAGE) ?? undefined
  } catch {
    return undefined
  }
}

export function storeKey(key: string | undefined): void {
  try {
    if (key) sessionStorage.setItem(KEY_STORAGE, key)
    else sessionStorage.removeItem(KEY_STORAGE)
  } catch {
    // private mode: the key lives as long as the page
  }
}

/** A client of the server that served this page (same origin: no CORS, the server's Origin check passes). */
export function makeClient(apiKey: string | undefined): WeftClient {
  return createClient({
    baseUrl: window.location.origin,
    ...(apiKey ? { apiKey } : {}),
    timeoutMs: 30_000,
  })
}

export interface Session {
  client: WeftClient
  /** Called when an answer says the key is missing or wrong: the page asks for one. */
  unauthorized(): void
}

export const SessionContext = createContext<Session | undefined>(undefined)

export function useSession(): Session {
  const s = useContext(SessionContext)
  if (!s) throw new Error('no session')
  return s
}

/** 401 (no or bad key) or 403 for lack of scope. */
export function isAuthError(err: unknown): boolean {
  return isWeftApiError(err) && err.status === 401
}

export function errorText(err: unknown): string {
  if (isWeftApiError(err)) return `${err.message}${err.hint ? ` — ${err.hint}` : ''}`
  return err instanceof Error ? err.message : String(err)
}
