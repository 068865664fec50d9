import {
  EVENT_TYPES,
  type EventType,
  eventTypesMatching,
  type Severity,
  SeveritySchema,
  WeftError,
} from '@weft/core'
import type { Command } from 'commander'
import { timeArg } from '../duration.js'
import type { EventFilter } from '../service.js'
import { collect } from './flags.js'

/** The flags `events query` and `events export` share. */
export interface EventFilterOptions {
  run?: string
  type: string[]
  task?: string
  severity: string[]
  since?: string
  until?: string
}

const SEVERITIES = SeveritySchema.options

export function addEventFilterOptions(command: Command): Command {
  return command
    .option('--run <run-id>', 'only this run')
    .option(
      '-t, --type <type>',
      'only events of this type (repeatable or comma-separated; `task.*` means every task.… type)',
      collect,
      [],
    )
    .option('--task <task-id>', 'only events of this task')
    .option(
      '--severity <severity>',
      `only events of this severity (repeatable or comma-separated: ${SEVERITIES.join(', ')})`,
      collect,
      [],
    )
    .option(
      '--since <time>',
      'from this time on: ISO (2025-01-31T12:00:00Z) or a duration ago (1h, 7d)',
      (v) => timeArg(v),
    )
    .option('--until <time>', 'before this time: ISO or a duration ago', (v) => timeArg(v))
}

/** Validates the flags (a typo in a type is an error, exit 2, not an empty result) and builds the filter. */
export function eventFilter(opts: EventFilterOptions): EventFilter {
  const types = parseTypes(opts.type ?? [])
  const severities = parseSeverities(opts.severity ?? [])
  if (opts.since && opts.until && opts.since >= opts.until) {
    throw new WeftError('input_invalid', `--since (${opts.since}) is not before --until (${opts.until})`)
  }
  return {
    ...(opts.run ? { runId: opts.run } : {}),
    ...(types.length ? { types } : {}),
    ...(opts.task ? { taskId: opts.task } : {}),
    ...(severities.length ? { severities } : {}),
    ...(opts.since ? { since: opts.since } : {}),
    ...(opts.until ? { until: opts.until } : {}),
  }
}

function split(values: string[]): string[] {
  return values
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter(Boolean)
}

function parseTypes(values: string[]): EventType[] {
  const out = new Set<EventType>()
  for (const v of split(values)) {
    const matched = eventTypesMatching(v)
    if (matched.length === 0) {
      throw new WeftError('input_invalid', `--type '${v}' is not an event type`, {
        hint: `use one of: ${EVENT_TYPES.join(', ')} (or a prefix such as task.*)`,
      })
    }
    for (const t of matched) out.add(t)
  }
  return [...out]
}

function parseSeverities(values: string[]): Severity[] {
  const out = new Set<Severity>()
  for (const v of split(values)) {
    if (!(SEVERITIES as readonly string[]).includes(v)) {
      throw new WeftError('input_invalid', `--severity '${v}' is not a severity`, {
        hint: `use one of: ${SEVERITIES.join(', ')}`,
      })
    }
    out.add(v as Severity)
  }
  return [...out]
}
