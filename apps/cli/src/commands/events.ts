import type { Command } from 'commander'
import type { CliContext } from '../context.js'
import { registerEventsExportCommand } from './events-export.js'
import { registerEventsQueryCommand } from './events-query.js'

/** `weft events …`: the event log across runs (one run's log is `weft runs events <id>`). */
export function registerEventsCommands(program: Command, ctx: CliContext): void {
  const events = program.command('events').description('query and export the event log across runs')
  registerEventsQueryCommand(events, ctx)
  registerEventsExportCommand(events, ctx)
}
