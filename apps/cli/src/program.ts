import { Command } from 'commander'
import { registerBackendsCommand } from './commands/backends.js'
import { registerEventsCommands } from './commands/events.js'
import { registerRunCommand } from './commands/run.js'
import { registerRunsCancelCommand } from './commands/runs-cancel.js'
import { registerRunsEventsCommand } from './commands/runs-events.js'
import { registerRunsListCommand } from './commands/runs-list.js'
import { registerRunsPauseCommand } from './commands/runs-pause.js'
import { registerRunsPruneCommand } from './commands/runs-prune.js'
import { registerRunsRecoverCommand } from './commands/runs-recover.js'
import { registerRunsRerunCommand } from './commands/runs-rerun.js'
import { registerRunsResumeCommand } from './commands/runs-resume.js'
import { registerRunsShowCommand } from './commands/runs-show.js'
import { registerServeCommand } from './commands/serve.js'
import { registerValidateCommand } from './commands/validate.js'
import type { CliContext } from './context.js'
import { cliVersion } from './version.js'

/**
 * The command tree. Commander throws instead of exiting (exitOverride), so `main` decides the exit
 * code: a bad flag is exit 2 with commander's message, never a crash or a `process.exit` here.
 */
export function buildProgram(ctx: CliContext): Command {
  const program = new Command('weft')
  // Settings made before `.command()` are inherited by every subcommand.
  program
    .exitOverride()
    .configureOutput({
      writeOut: (s) => void ctx.io.stdout.write(s),
      writeErr: (s) => void ctx.io.stderr.write(s),
    })
    .showHelpAfterError('(add --help for usage)')
    .description('weft: run multi-agent and LLM workflows, then inspect and control their runs')
    .version(cliVersion(), '-v, --version')
    .addHelpText(
      'after',
      `
Exit codes: 0 succeeded (or paused for approval), 1 failed or canceled, 2 invalid input, 130 interrupted.
Store: --store PATH, else $WEFT_STORE, else \`store:\` in weft.config, else .weft/weft.db here.
Server: --server URL (or $WEFT_SERVER, key in $WEFT_API_KEY) acts on a weft server's runs instead.`,
    )

  registerRunCommand(program, ctx)
  registerValidateCommand(program, ctx)
  const runs = program.command('runs').description('list, inspect and control runs')
  registerRunsListCommand(runs, ctx)
  registerRunsShowCommand(runs, ctx)
  registerRunsEventsCommand(runs, ctx)
  registerRunsResumeCommand(runs, ctx)
  registerRunsCancelCommand(runs, ctx)
  registerRunsPauseCommand(runs, ctx)
  registerRunsPruneCommand(runs, ctx)
  registerRunsRecoverCommand(runs, ctx)
  registerRunsRerunCommand(runs, ctx)
  registerEventsCommands(program, ctx)
  registerBackendsCommand(program, ctx)
  registerServeCommand(program, ctx)
  return program
}
