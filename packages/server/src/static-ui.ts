import { readFile, stat } from 'node:fs/promises'
import { extname, join, resolve, sep } from 'node:path'
import type { Context } from 'hono'

/**
 * The web page (`@weft/ui`'s built files) at `/`: files with their content type, hashed assets
 * cached for good, and every other GET of a page path answered with `index.html` so that links
 * such as `/runs/run_…` open the page, which routes itself. The API keeps priority: this runs
 * only for paths no route of the API table matched, and never for `/api/…`.
 */
export interface StaticUiOptions {
  /** The folder with `index.html` and `assets/`. */
  dir: string
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.webp': 'image/webp',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
}

/**
 * The page loads only its own files and talks only to this server. React Flow positions nodes with
 * inline `style` attributes, hence `'unsafe-inline'` for styles (never for scripts).
 */
const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "form-action 'self'",
].join('; ')

const SECURITY_HEADERS = {
  'Content-Security-Policy': CSP,
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
}

/** Paths of the server itself: never the page, whatever the method. */
const RESERVED = /^\/(api(\/|$)|openapi\.json$|metrics$|healthz$|readyz$)/

export function createStaticUi(options: StaticUiOptions) {
  const root = resolve(options.dir)
  let index: Promise<Buffer | undefined> | undefined
  const readIndex = () => {
    // Read once; a page built later (a fresh clone that runs `pnpm build` while serving) is found
    // on a later request.
    index ??= readFile(join(root, 'index.html')).catch(() => {
      index = undefined
      return undefined
    })
    return index
  }

  /** The answer for a GET/HEAD of `path`, or undefined when the page has nothing there. */
  return async function serve(c: Context, path: string): Promise<Response | undefined> {
    if (RESERVED.test(path)) return undefined
    const file = await fileOf(root, path)
    if (file) {
      const hashed = path.startsWith('/assets/')
      return respond(c, file.data, TYPES[extname(file.path).toLowerCase()] ?? 'application/octet-stream', {
        'Cache-Control': hashed ? 'public, max-age=31536000, immutable' : 'no-cache',
      })
    }
    // A missing asset is a 404, not the page: a stale tab asking for an old bundle must not get HTML.
    if (path.startsWith('/assets/') || extname(path) !== '') return undefined
    const html = await readIndex()
    if (!html) return notBuilt(c)
    return respond(c, html, TYPES['.html']!, { 'Cache-Control': 'no-cache' })
  }
}

async function fileOf(root: string, path: string): Promise<{ path: string; data: Buffer } | undefined> {
  let decoded: string
  try {
    decoded = decodeURIComponent(path)
  } catch {
    return undefined
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return undefined
  const full = resolve(root, `.${decoded === '/' ? '/index.html' : decoded}`)
  // Never a file outside the page's folder (`/../../etc/passwd`, however it is spelled).
  if (full !== root && !full.startsWith(root + sep)) return undefined
  const info = await stat(full).catch(() => undefined)
  if (!info?.isFile()) return undefined
  return { path: full, data: await readFile(full) }
}

function respond(c: Context, data: Buffer, type: string, headers: Record<string, string>): Response {
  const body = c.req.method === 'HEAD' ? null : new Uint8Array(data)
  return new Response(body, {
    status: 200,
    headers: {
      'Content-Type': type,
      'Content-Length': String(data.byteLength),
      ...SECURITY_HEADERS,
      ...headers,
    },
  })
}

function notBuilt(c: Context): Response {
  const text =
    'The weft web page has not been built. Run `pnpm build` (or `pnpm --filter @weft/ui build`) and reload.\n' +
    'The API is served under /api/v1 (see /openapi.json).\n'
  return c.body(text, 503, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' })
}
