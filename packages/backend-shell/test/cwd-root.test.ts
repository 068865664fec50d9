/**
 * `cwdRoot`: a task's working directory must stay inside the configured folder once `..` and
 * symlinks are resolved (issue 18: a `cwd` taken from an input could reach `/etc` or `../../..`).
 */
import { mkdirSync, symlinkSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createShellBackend } from '../src/index.js'
import { start, tempDir } from './helpers.js'

let tmp: ReturnType<typeof tempDir>
let root: string
beforeEach(() => {
  tmp = tempDir()
  root = join(tmp.dir, 'root')
  mkdirSync(join(root, 'inside', 'deeper'), { recursive: true })
  mkdirSync(join(tmp.dir, 'outside'))
  symlinkSync(join(tmp.dir, 'outside'), join(root, 'escape'))
  symlinkSync(join(root, 'inside'), join(root, 'alias'))
})
afterEach(() => tmp.cleanup())

describe('cwdRoot', () => {
  const shell = () => createShellBackend({ cwdRoot: root })

  it('runs commands in the root and below it, in the real path', async () => {
    expect((await start(shell(), { command: ['pwd'] }, root).result).output).toBe(root)
    expect((await start(shell(), { command: ['pwd'], cwd: 'inside/deeper' }, root).result).output).toBe(
      join(root, 'inside', 'deeper'),
    )
    // A symlink that stays inside is fine; the command runs in its target.
    expect((await start(shell(), { command: ['pwd'], cwd: 'alias' }, root).result).output).toBe(
      join(root, 'inside'),
    )
  })

  for (const [what, cwd] of [
    ['an absolute path elsewhere', '/etc'],
    ['a climb out with ..', '../../..'],
    ['.. hidden in the middle', 'inside/../../outside'],
    ['a symlink that leads out', 'escape'],
  ] as const) {
    it(`refuses ${what} with a bad_options BackendError naming the root`, async () => {
      const err = await start(shell(), { command: ['pwd'], cwd }, root).result.catch((e: unknown) => e)
      expect(err).toMatchObject({ name: 'BackendError', code: 'bad_options', retryable: false })
      expect((err as Error).message).toContain('outside')
      expect((err as Error).message).toContain(root)
    })
  }

  it('refuses a work dir outside the root when the task gives no cwd', async () => {
    const err = await start(shell(), { command: ['pwd'] }, join(tmp.dir, 'outside')).result.catch(
      (e: unknown) => e,
    )
    expect(err).toMatchObject({ code: 'bad_options' })
  })

  it('without cwdRoot, nothing is confined (the default)', async () => {
    const r = await start(createShellBackend(), { command: ['pwd'], cwd: '/' }, root).result
    expect(r.output).toBe('/')
  })
})
