import { describe, expect, it } from 'vitest'
import { parseExpression, renderDeep, renderTemplate } from '../src/index.js'

const scope = {
  inputs: { repo: 'acme/api', n: 3, flag: false },
  tasks: {
    a: { output: { items: [{ title: 'x' }, { title: 'y' }], ok: true }, text: 'A', status: 'succeeded' },
  },
  run: { id: 'run_1', name: 'demo' },
}

describe('templates', () => {
  it('renders inputs and member access into JSON outputs', () => {
    expect(renderTemplate('repo ${{ inputs.repo }}!', scope)).toBe('repo acme/api!')
    expect(renderTemplate('${{ tasks.a.output.items[1].title }}', scope)).toBe('y')
    expect(renderTemplate("${{ tasks.a.output['ok'] }}", scope)).toBe(true)
  })

  it('keeps the raw value when the string is exactly one expression', () => {
    expect(renderTemplate('${{ inputs.n }}', scope)).toBe(3)
    expect(renderTemplate('${{ tasks.a.output.items }}', scope)).toEqual([{ title: 'x' }, { title: 'y' }])
    expect(renderTemplate('n=${{ tasks.a.output.items }}', scope)).toBe('n=[{"title":"x"},{"title":"y"}]')
  })

  it('evaluates comparisons and boolean operators without running code', () => {
    expect(renderTemplate("${{ inputs.n > 2 && inputs.repo == 'acme/api' }}", scope)).toBe(true)
    expect(renderTemplate('${{ !inputs.flag || false }}', scope)).toBe(true)
    expect(() => parseExpression('process.exit(1)')).toThrow(/unexpected '\('/)
    expect(() => parseExpression('inputs.x; 1')).toThrow(/unexpected character/)
  })

  it('names the missing member and what exists', () => {
    expect(() => renderTemplate('${{ tasks.a.output.nope }}', scope)).toThrow(
      /tasks.a.output has no member 'nope' \(it has: items, ok\)/,
    )
    expect(() => renderTemplate('${{ tasks.a.output.items[5] }}', scope)).toThrow(/index 5 is out of range/)
  })

  it('reports unclosed templates', () => {
    expect(() => renderTemplate('hi ${{ inputs.repo', scope)).toThrow(/never closed/)
  })

  it('renders every string inside JSON', () => {
    expect(renderDeep({ cmd: ['echo', '${{ inputs.repo }}'], n: '${{ inputs.n }}', k: 1 }, scope)).toEqual({
      cmd: ['echo', 'acme/api'],
      n: 3,
      k: 1,
    })
  })

  it('never evaluates a value as a template twice (no injection through values)', () => {
    const evil = { ...scope, inputs: { ...scope.inputs, repo: '${{ run.id }}' } }
    expect(renderTemplate('${{ inputs.repo }}', evil)).toBe('${{ run.id }}')
  })
})
