/**
 * A PostgreSQL server of a test's own (initdb into a temporary folder, on a free port of
 * 127.0.0.1), for faults that would disturb every other test on the machine's shared server:
 * restarting it. As root, the server runs as the `postgres` user (it refuses to run as root).
 */
import { execFileSync } from 'node:child_process'
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const BIN_ROOT = '/usr/lib/postgresql'

/** The folder of initdb and pg_ctl (the newest installed version), or undefined. */
export function postgresBinaries(): string | undefined {
  if (!existsSync(BIN_ROOT)) return undefined
  const versions = readdirSync(BIN_ROOT)
    .filter((v) => existsSync(join(BIN_ROOT, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a))
  return versions[0] ? join(BIN_ROOT, versions[0], 'bin') : undefined
}

async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const { port } = server.address() as { port: number }
  await new Promise<void>((r) => server.close(() => r()))
  return port
}

export async function privatePostgres() {
  const bin = postgresBinaries()
  if (!bin) throw new Error(`no PostgreSQL binaries under ${BIN_ROOT} (Debian's postgresql package)`)
  const root = process.getuid?.() === 0
  const dir = mkdtempSync(join(tmpdir(), 'weft-pg-'))
  if (root) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim())
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim())
    chownSync(dir, uid, gid)
  }
  const asOwner = (program: string, args: string[]) =>
    root
      ? execFileSync('runuser', ['-u', 'postgres', '--', join(bin, program), ...args], { encoding: 'utf8' })
      : execFileSync(join(bin, program), args, { encoding: 'utf8' })
  const data = join(dir, 'data')
  const port = await freePort()
  asOwner('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8'])
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`
  const start = () => asOwner('pg_ctl', ['-D', data, '-o', options, '-l', join(dir, 'log'), '-w', 'start'])
  const stop = (mode: 'fast' | 'immediate') => asOwner('pg_ctl', ['-D', data, '-m', mode, '-w', 'stop'])
  start()
  const url = (database = 'postgres') => `postgres://postgres@127.0.0.1:${port}/${database}`
  return {
    port,
    url,
    start,
    stop,
    /** Stops the server (fast: connections are cut, as in a real restart), then removes it. */
    destroy() {
      try {
        stop('immediate')
      } catch {
        // already stopped
      }
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
