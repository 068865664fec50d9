import { Command } from 'commander'
import { COMMAND_GROUPS, COMMANDS, selectCommand } from './commands/index.js'
import type { CliContext } from './context.js'
import { cliVersion } from './version.js'

/**
 * The command tree. Commander throws instead of exiting (exitOverride), so `main` decides the exit
 * code: a bad flag is exit 2 with commander's message, never a crash or a `process.exit` here.
 *
 * Every command is listed (for `--help` and for commander's "unknown command" suggestions), but
 * only the one `argv` runs gets its options and action: its module is imported here, the others
 * never are.
 */
export async function buildProgram(ctx: CliContext, argv: readonly string[] = []): Promise<Command> {
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
Store: --store PATH (or fs:DIR, postgres://USER@HOST:PORT/DB), else $WEFT_STORE, else \`store:\` in weft.config, else .weft/weft.db here.
Server: --server URL (or $WEFT_SERVER, key in $WEFT_API_KEY) acts on a weft server's runs instead.`,
    )

  const selected = selectCommand(argv)
  const groups = new Map<string, Command>()
  const parentOf = (path: readonly string[]): Command => {
    if (path.length === 1) return program
    const name = path[0]!
    let group = groups.get(name)
    if (!group) {
      group = program.command(name).description(COMMAND_GROUPS[name] ?? '')
      groups.set(name, group)
    }
    return group
  }
  for (const entry of COMMANDS) {
    const command = parentOf(entry.path).command(entry.path[entry.path.length - 1]!)
    command.description(entry.description)
    for (const alias of entry.aliases ?? []) command.alias(alias)
    for (const [name, description] of entry.arguments ?? []) command.argument(name, description)
    if (entry === selected) (await entry.load())(command, ctx)
  }
  return program
}
