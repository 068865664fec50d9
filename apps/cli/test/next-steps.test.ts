import { WeftError } from '@weft/core'
import { describe, expect, it } from 'vitest'
import { type CliIo, ExitCode, printError } from '../src/index.js'

function capture(): { io: CliIo; stderr: () => string } {
  let err = ''
  const out = { write: () => true }
  const stderr = {
    write: (s: string) => {
      err += s
      return true
    },
  }
  return { io: { stdout: out, stderr, env: { NO_COLOR: '1' }, cwd: '/' }, stderr: () => err }
}

describe('next steps of an error', () => {
  it('are printed as the weft commands that take them, under the hint', () => {
    const { io, stderr } = capture()
    const err = new WeftError(
      'resume_token_required',
      'run run_1 waits for an approval; resume it with its token',
      {
        hint: 'answer one of its approvals with its token',
        next: [
          { action: 'resume', runId: 'run_1', token: 'tok_a', taskId: 'approve', message: 'Ship it?' },
          { action: 'resume', runId: 'run_1', token: 'tok b', taskId: 'review' },
        ],
      },
    )
    expect(printError(err, io)).toBe(ExitCode.invalidInput)
    expect(stderr()).toBe(
      [
        'error: run run_1 waits for an approval; resume it with its token [resume_token_required]',
        'hint: answer one of its approvals with its token',
        'next:',
        '  weft runs resume run_1 --token tok_a   # approve: Ship it?',
        "  weft runs resume run_1 --token 'tok b'   # review",
        '',
      ].join('\n'),
    )
  })

  it('a single step goes on the next: line; errors without steps print none', () => {
    const one = capture()
    printError(
      new WeftError('plugin_not_found', "plugin 'x' is not installed", {
        next: [{ action: 'install_package', package: 'x' }],
      }),
      one.io,
    )
    expect(one.stderr()).toContain('next: pnpm add x   (or: npm install x)\n')
    const none = capture()
    printError(new WeftError('run_not_found', "there is no run 'r'", { hint: 'check the id' }), none.io)
    expect(none.stderr()).not.toContain('next:')
  })
})
