import { main } from '@weft/cli'

/**
 * `weft-server [flags]`: the same as `weft serve [flags]` — one implementation, so the CLI and the
 * distribution cannot drift. Returns the exit code.
 */
export function weftServer(argv: string[]): Promise<number> {
  if (argv[0] === '--version' || argv[0] === '-v') return main(['--version'])
  return main(['serve', ...argv])
}
