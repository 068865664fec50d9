import type { WeftNextStep } from '@weft/core'
import { shellQuote } from './shell-quote.js'

/**
 * The `weft …` command that takes a next step of an error. `extraArgs` are what reaches the same
 * runs (`--store PATH`, `--server URL`) when the user chose them with a flag.
 */
export function commandFor(step: WeftNextStep, extraArgs?: string): string {
  const extra = extraArgs ? ` ${extraArgs}` : ''
  switch (step.action) {
    case 'resume': {
      const token = step.token ? ` --token ${shellQuote(step.token)}` : ''
      const note = step.taskId ? `   # ${step.taskId}${step.message ? `: ${step.message}` : ''}` : ''
      return `weft runs resume ${step.runId}${token}${extra}${note}`
    }
    case 'show_run':
      return `weft runs show ${step.runId}${extra}`
    case 'follow_run':
      return `weft runs events ${step.runId} --follow${extra}`
    case 'cancel_run':
      return `weft runs cancel ${step.runId}${extra}`
    case 'list_runs':
      return `weft runs list${extra}`
    case 'recover':
      return `weft runs recover ${step.runId}${extra}`
    case 'validate':
      return `weft validate ${step.file ? shellQuote(step.file) : '<file>'}`
    case 'install_package':
      return `pnpm add ${step.package}   (or: npm install ${step.package})`
  }
}
