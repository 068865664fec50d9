import pc from 'picocolors'
import { colorEnabled, type OutStream } from './io.js'

export type Colors = ReturnType<typeof pc.createColors>

/** Colours for one output stream: on for a TTY, off for pipes and files (and with NO_COLOR). */
export function colorsFor(stream: OutStream, env: NodeJS.ProcessEnv): Colors {
  return pc.createColors(colorEnabled(stream, env))
}
