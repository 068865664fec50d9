/**
 * "A whole command from an input is a validation error unless the workflow opts in" (issue 18):
 * backends name their command fields; validation refuses inputs there.
 */
import { describe, expect, it } from 'vitest'
import { parseWorkflowText } from '../src/workflow/load.js'
import { type BackendInfo, validateWorkflow } from '../src/workflow/validate.js'

const backends = new Map<string, BackendInfo>([
  ['shell', { id: 'shell', commandFields: ['command'] }],
  ['mock', { id: 'mock' }],
])

const workflow = (
  command: unknown,
  extra: Record<string, unknown> = {},
  task: Record<string, unknown> = {},
) => ({
  weft: 1,
  name: 'cmd',
  inputs: { cmd: { type: 'json', default: ['ls'] }, tool: { type: 'string', default: 'ls' } },
  ...extra,
  tasks: { run: { backend: 'shell', with: { command }, ...task } },
})
const codes = (r: { diagnostics: { code: string; path?: string }[] }) =>
  r.diagnostics.map((d) => `${d.code} ${d.path}`)

describe('commands from inputs', () => {
  it('refuses a whole command from an input, with the file, path and the fix', () => {
    const doc = parseWorkflowText(
      'weft: 1\nname: cmd\ninputs:\n  cmd: { type: array }\ntasks:\n  run:\n    backend: shell\n    with: { command: "${{ inputs.cmd }}" }\n',
      'cmd.yaml',
    )
    const r = validateWorkflow(doc.value, {
      file: 'cmd.yaml',
      locate: doc.locate,
      backends,
      inputs: { cmd: ['id'] },
    })
    expect(r.ok).toBe(false)
    expect(r.diagnostics).toEqual([
      expect.objectContaining({
        code: 'command_from_input',
        file: 'cmd.yaml',
        line: 8,
        path: 'tasks.run.with.command',
        message: expect.stringContaining("takes its whole command from 'inputs.cmd'"),
        hint: expect.stringContaining('allowInputCommands: true'),
      }),
    ])
  })

  it('refuses the program (argv[0]) and a shell script from an input', () => {
    expect(codes(validateWorkflow(workflow(['${{ inputs.tool }}', '-l']), { backends }))).toEqual([
      'command_from_input tasks.run.with.command[0]',
    ])
    expect(codes(validateWorkflow(workflow(['/usr/bin/${{ inputs.tool }}']), { backends }))).toEqual([
      'command_from_input tasks.run.with.command[0]',
    ])
    for (const argv of [
      ['sh', '-c', '${{ inputs.tool }}'],
      ['/bin/bash', '-lc', 'echo ${{ inputs.tool }}'],
      ['cmd.exe', '/c', '${{ inputs.tool }}'],
      ['pwsh', '-Command', '${{ inputs.tool }}'],
    ]) {
      expect(codes(validateWorkflow(workflow(argv), { backends }))).toEqual([
        'command_from_input tasks.run.with.command[2]',
      ])
    }
  })

  it('allows inputs as arguments, task outputs, and commands written in the workflow', () => {
    for (const argv of [
      ['grep', '${{ inputs.tool }}', 'file.txt'],
      ['sh', '-c', 'echo "$1"', 'sh', '${{ inputs.tool }}'],
      ['echo', '-c', '${{ inputs.tool }}'],
      ['ls'],
    ]) {
      expect(validateWorkflow(workflow(argv), { backends }).diagnostics).toEqual([])
    }
    // A backend without command fields is not judged.
    const mock = {
      weft: 1,
      name: 'm',
      inputs: { x: { default: 'a' } },
      tasks: { a: { backend: 'mock', with: { command: '${{ inputs.x }}' } } },
    }
    expect(validateWorkflow(mock, { backends }).diagnostics).toEqual([])
  })

  it('accepts the command once the workflow or the task opts in', () => {
    expect(
      validateWorkflow(workflow('${{ inputs.cmd }}', { allowInputCommands: true }), { backends }).ok,
    ).toBe(true)
    expect(
      validateWorkflow(workflow('${{ inputs.cmd }}', {}, { allowInputCommands: true }), { backends }).ok,
    ).toBe(true)
    const other = validateWorkflow(
      {
        ...workflow('${{ inputs.cmd }}', {}, { allowInputCommands: true }),
        tasks: {
          run: { backend: 'shell', with: { command: '${{ inputs.cmd }}' }, allowInputCommands: true },
          other: { backend: 'shell', with: { command: ['${{ inputs.tool }}'] } },
        },
      },
      { backends },
    )
    expect(codes(other)).toEqual(['command_from_input tasks.other.with.command[0]'])
    expect(
      codes(validateWorkflow(workflow('${{ inputs.cmd }}', { allowInputCommands: 'yes' }), { backends })),
    ).toContain('bad_value allowInputCommands')
  })
})
