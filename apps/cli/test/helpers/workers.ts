/**
 * Real `weft worker` processes on a real PostgreSQL database for the worker tests: a fresh
 * database per test file, workers started (and killed) as child processes, SQL through psql, and a
 * TCP proxy that can be paused to cut a worker off from the database.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { createRequire } from 'node:module'
import { connect, createServer, type Server, type Socket } from 'node:net'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const repoRoot = resolve(here, '../../../..')
const BIN = join(repoRoot, 'apps/cli/src/bin.ts')
const TSX = pathToFileURL(createRequire(join(repoRoot, 'package.json')).resolve('tsx')).href

/** The PostgreSQL server of the tests (trust auth, as on the CI machines). */
export const SERVER = process.env.WEFT_TEST_POSTGRES ?? 'postgres://postgres@127.0.0.1:5432/postgres'

export function psql(command: string, target = SERVER): string {
  return execFileSync('psql', [target, '-v', 'ON_ERROR_STOP=1', '-Atc', command], { encoding: 'utf8' })
}

/** A fresh database; `url(app)` names a connection's application_name (to find its backends). */
export function freshDatabase() {
  const name = `weft_test_${randomBytes(6).toString('hex')}`
  psql(`CREATE DATABASE ${name}`)
  const url = (app?: string, port?: number) => {
    const u = new URL(SERVER)
    u.pathname = `/${name}`
    if (port) u.port = String(port)
    if (app) u.searchParams.set('application_name', app)
    return u.toString()
  }
  return { name, url, drop: () => psql(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) }
}

export interface Proc {
  child: ChildProcess
  stderr(): string
  stdout(): string
  /** Resolves when stderr matches (rejects after `ms`). */
  waitForErr(pattern: RegExp, ms?: number): Promise<RegExpMatchArray>
  exited: Promise<number | null>
}

/** `weft ARGS` as a child process (node + tsx on the sources). */
export function spawnWeft(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Proc {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', WEFT_STORE: '', ...env }
  delete childEnv.FORCE_COLOR
  const child = spawn(process.execPath, ['--conditions=development', '--import', TSX, BIN, ...args], {
    cwd,
    env: childEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  let err = ''
  const waiters = new Set<() => void>()
  child.stdout!.setEncoding('utf8').on('data', (c: string) => {
    out += c
  })
  child.stderr!.setEncoding('utf8').on('data', (c: string) => {
    err += c
    for (const w of waiters) w()
  })
  const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)))
  return {
    child,
    stderr: () => err,
    stdout: () => out,
    exited,
    waitForErr(pattern, ms = 30_000) {
      return new Promise((resolveMatch, reject) => {
        const check = () => {
          const m = err.match(pattern)
          if (!m) return
          waiters.delete(check)
          clearTimeout(timer)
          resolveMatch(m)
        }
        const timer = setTimeout(() => {
          waiters.delete(check)
          reject(new Error(`stderr never matched ${pattern}\nstderr:\n${err.slice(-4000)}`))
        }, ms)
        waiters.add(check)
        check()
      })
    },
  }
}

/** Runs `weft ARGS` to its end. */
export async function weft(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}) {
  const p = spawnWeft(args, cwd, env)
  const code = await p.exited
  return { code, stdout: p.stdout(), stderr: p.stderr() }
}

/** Polls `check` until it returns a value (not undefined), or throws after `ms`. */
export async function until<T>(check: () => T | undefined, ms: number, what: string): Promise<T> {
  const deadline = Date.now() + ms
  for (;;) {
    const v = check()
    if (v !== undefined) return v
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 200))
  }
}

/**
 * A TCP proxy to the database that can be paused: while paused nothing is forwarded either way
 * (connections stay open, as behind a cut link); on resume what was held back is delivered.
 */
export async function pausableProxy(target: { host: string; port: number }) {
  const links = new Set<{ sockets: Socket[]; flush(): void }>()
  let paused = false
  const server: Server = createServer((client) => {
    const upstream = connect(target.port, target.host)
    const held: [Socket, Buffer][] = []
    const forward = (to: Socket) => (chunk: Buffer) => {
      if (paused) held.push([to, chunk])
      else to.write(chunk)
    }
    client.on('data', forward(upstream))
    upstream.on('data', forward(client))
    const link = {
      sockets: [client, upstream],
      flush() {
        for (const [to, chunk] of held.splice(0)) to.write(chunk)
      },
    }
    links.add(link)
    const end = () => {
      links.delete(link)
      client.destroy()
      upstream.destroy()
    }
    client.on('error', end).on('close', end)
    upstream.on('error', end).on('close', end)
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const port = (server.address() as { port: number }).port
  return {
    port,
    pause() {
      paused = true
    },
    resume() {
      paused = false
      for (const link of links) link.flush()
    },
    close: () =>
      new Promise<void>((r) => {
        for (const link of links) for (const s of link.sockets) s.destroy()
        server.close(() => r())
      }),
  }
}
