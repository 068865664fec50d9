import type { Principal } from './auth.js'

/** What the server's middleware and route chains keep on a request's context. */
export interface AppEnv {
  Variables: { principal: Principal; route: string }
}
