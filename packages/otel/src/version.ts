import { createRequire } from 'node:module'

/** This package's version (src/ and dist/ both sit next to package.json). */
export const VERSION = (createRequire(import.meta.url)('../package.json') as { version: string }).version
