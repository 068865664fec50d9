import { createRequire } from 'node:module'

/** The package version; `../package.json` is right both from src/ (development) and dist/ (built). */
export function cliVersion(): string {
  try {
    return (createRequire(import.meta.url)('../package.json') as { version: string }).version
  } catch {
    return '0.0.0'
  }
}
