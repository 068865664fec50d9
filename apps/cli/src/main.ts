import { CommanderError } from 'commander'
import type { CliContext } from './context.js'
import { ExitCode } from './exit-codes.js'
import { type CliIo, processIo } from './io.js'
import { buildProgram } from './program.js'

/**
 * Runs the `weft` command with these arguments (without `node` and the script) and returns the
 * exit code instead of exiting, so that it can be embedded and tested.
 */
export async function main(argv: string[], io: Partial<CliIo> = {}): Promise<number> {
  const ctx: CliContext = { io: { ...processIo(), ...io }, exitCode: ExitCode.ok, argv }
  try {
    const program = await buildProgram(ctx, argv)
    await program.parseAsync(argv, { from: 'user' })
    return ctx.exitCode
  } catch (err) {
    if (err instanceof CommanderError) {
      // Commander has printed its message; help and --version are successes, the rest bad usage.
      return err.exitCode === 0 ? ExitCode.ok : ExitCode.invalidInput
    }
    // Loaded only now: printing an error needs @weft/core and @weft/client, --version does not.
    const { printError } = await import('./errors.js')
    return printError(err, ctx.io)
  }
}
