/** What a report says about where and on what it ran. */
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import os from 'node:os'
import { join } from 'node:path'
import { BENCH_DIR, REPO_DIR } from './child.js'

export interface Machine {
  cpu: string
  cores: number
  memoryGb: number
  node: string
  os: string
  loadAverage: number[]
}

export function machine(): Machine {
  const cpus = os.cpus()
  return {
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    memoryGb: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    node: process.version,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    loadAverage: os.loadavg().map((l) => Math.round(l * 100) / 100),
  }
}

const PACKAGES = [
  '@weft/core',
  '@weft/storage-sqlite',
  '@weft/backend-shell',
  '@weft/cli',
  '@langchain/langgraph',
  '@langchain/core',
  '@photostructure/sqlite',
  'execa',
]

export function versions(): Record<string, string> {
  const out: Record<string, string> = {}
  for (const name of PACKAGES) {
    try {
      out[name] = (
        JSON.parse(readFileSync(join(BENCH_DIR, 'node_modules', name, 'package.json'), 'utf8')) as {
          version: string
        }
      ).version
    } catch {
      out[name] = 'not installed'
    }
  }
  return out
}

export function gitRevision(): string {
  try {
    const rev = execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
      cwd: REPO_DIR,
      encoding: 'utf8',
    }).trim()
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], {
      cwd: REPO_DIR,
      encoding: 'utf8',
    }).trim()
    return dirty ? `${rev} + uncommitted changes` : rev
  } catch {
    return 'unknown'
  }
}
