import type { Command } from 'commander'
import type { CliContext } from '../context.js'

/** Adds a command's options and action to the command `program.ts` created from its entry. */
export type ConfigureCommand = (command: Command, ctx: CliContext) => void

/**
 * One subcommand: what `weft --help` lists about it, and how to load its code. The code (and with
 * it @weft/core, zod, the stores and backends) is imported only for the command that runs, so
 * `weft --version` and `weft --help` load nothing but commander.
 */
export interface CommandEntry {
  /** `['run']`, or a group and its subcommand: `['runs', 'list']`. */
  path: readonly [string] | readonly [string, string]
  description: string
  aliases?: readonly string[]
  /** Positional arguments, `[name, description]`, so that the help lists `run <file>`. */
  arguments?: readonly (readonly [string, string])[]
  load(): Promise<ConfigureCommand>
}

/** Command groups (`weft runs …`, `weft events …`) have no action of their own. */
export const COMMAND_GROUPS: Readonly<Record<string, string>> = {
  runs: 'list, inspect and control runs',
  events: 'query and export the event log across runs',
  dataflow: 'validate and run streaming dataflow graphs (components with ports, backpressure)',
  schedules: 'cron schedules that start runs while `weft serve` runs: add, list, remove',
  tasks: 'submit one task without a workflow; wait for, list, cancel tasks and print their output',
  queue: 'pause and resume dispatch everywhere the store is shared (durable), and show the queue',
  agents: 'workers sharing a Postgres store: list, show, pause, resume, stop; `up` runs local ones',
}

const RUN_ID = ['<run-id>', 'the run'] as const
const TASK_ID = ['<task-id>', 'the task (its id in the run)'] as const
const AGENT_NAME = ['<name>', 'the agent (the worker’s --name)'] as const
const WORKFLOW_FILE = ['<file>', 'the workflow (.yaml, .yml or .json)'] as const

/** Every command, in the order the help lists them. */
export const COMMANDS: readonly CommandEntry[] = [
  {
    path: ['run'],
    description: 'run a workflow file, show its progress and a closing summary',
    arguments: [WORKFLOW_FILE],
    load: async () => (await import('./run.js')).configureRunCommand,
  },
  {
    path: ['validate'],
    description: 'check a workflow file and list every problem (file:line, path, fix) without running it',
    arguments: [WORKFLOW_FILE],
    load: async () => (await import('./validate.js')).configureValidateCommand,
  },
  {
    path: ['schema'],
    description: 'print the JSON Schema of workflow files, for editors (`# yaml-language-server: $schema=…`)',
    load: async () => (await import('./schema.js')).configureSchemaCommand,
  },
  {
    path: ['runs', 'list'],
    aliases: ['ls'],
    description: 'list runs, newest first',
    load: async () => (await import('./runs-list.js')).configureRunsListCommand,
  },
  {
    path: ['runs', 'show'],
    description: 'show a run: summary, tasks (status, attempts, duration, error), pause and resume commands',
    arguments: [RUN_ID],
    load: async () => (await import('./runs-show.js')).configureRunsShowCommand,
  },
  {
    path: ['runs', 'events'],
    description: "print a run's event log (JSONL with --json); --follow streams until the run ends",
    arguments: [RUN_ID],
    load: async () => (await import('./runs-events.js')).configureRunsEventsCommand,
  },
  {
    path: ['runs', 'resume'],
    description:
      'answer an approval (--token) or resume a paused run, then continue it here with live progress',
    arguments: [['<run-id>', 'the paused run']],
    load: async () => (await import('./runs-resume.js')).configureRunsResumeCommand,
  },
  {
    path: ['runs', 'cancel'],
    description: 'cancel a run: running tasks are stopped, the rest canceled, all of it recorded',
    arguments: [RUN_ID],
    load: async () => (await import('./runs-cancel.js')).configureRunsCancelCommand,
  },
  {
    path: ['runs', 'pause'],
    description:
      'pause a run: nothing new starts, running tasks finish (or are suspended where the backend can)',
    arguments: [RUN_ID],
    load: async () => (await import('./runs-pause.js')).configureRunsPauseCommand,
  },
  {
    path: ['runs', 'prune'],
    description: 'delete finished runs older than a given age, with their events and artifacts, in batches',
    load: async () => (await import('./runs-prune.js')).configureRunsPruneCommand,
  },
  {
    path: ['runs', 'recover'],
    description:
      'continue unfinished runs whose process stopped (crash, kill, shutdown): finished tasks are kept, interrupted ones run again',
    arguments: [['[run-id]', 'only this run (default: every unfinished run no live process owns)']],
    load: async () => (await import('./runs-recover.js')).configureRunsRecoverCommand,
  },
  {
    path: ['runs', 'artifacts'],
    description: "list the files a run's tasks produced, or download one with --get <name>",
    arguments: [RUN_ID],
    load: async () => (await import('./runs-artifacts.js')).configureRunsArtifactsCommand,
  },
  {
    path: ['runs', 'rerun'],
    description:
      'start a new run of the same workflow and inputs that reuses the recorded outputs of every task not downstream of --from',
    arguments: [['<run-id>', 'the run to start from']],
    load: async () => (await import('./runs-rerun.js')).configureRunsRerunCommand,
  },
  {
    path: ['events', 'query'],
    description: 'find events across runs by type, task, severity and time, oldest first',
    load: async () => (await import('./events-query.js')).configureEventsQueryCommand,
  },
  {
    path: ['events', 'export'],
    description:
      'stream events to JSONL, CSV or a JSON array, without holding the log in memory: one run in seq order, or every run (newest run first)',
    load: async () => (await import('./events-export.js')).configureEventsExportCommand,
  },
  {
    path: ['dataflow', 'validate'],
    description: 'check a dataflow graph and list every problem (file:line, path, fix) without running it',
    arguments: [['<file>', 'the graph (.yaml, .yml or .json, `kind: dataflow`)']],
    load: async () => (await import('./dataflow-validate.js')).configureDataflowValidateCommand,
  },
  {
    path: ['dataflow', 'run'],
    description:
      'run a dataflow graph: feed --input JSON lines to its input node, write what reaches its outputs as JSON lines, show live per-node counters, end with metrics',
    arguments: [['<file>', 'the graph (.yaml, .yml or .json, `kind: dataflow`)']],
    load: async () => (await import('./dataflow-run.js')).configureDataflowRunCommand,
  },
  {
    path: ['dataflow', 'list'],
    description: 'list dataflow executions: a server’s (--server) or those kept in the local store',
    load: async () => (await import('./dataflow-remote.js')).configureDataflowListCommand,
  },
  {
    path: ['dataflow', 'status'],
    description: 'show a dataflow execution: state, per-node counters and latencies',
    arguments: [['<execution-id>', 'the execution']],
    load: async () => (await import('./dataflow-remote.js')).configureDataflowStatusCommand,
  },
  {
    path: ['dataflow', 'pause'],
    description: 'pause a dataflow execution on a server: messages queue up to the bounds',
    arguments: [['<execution-id>', 'the execution']],
    load: async () => (await import('./dataflow-remote.js')).configureDataflowControlCommand('pause'),
  },
  {
    path: ['dataflow', 'resume'],
    description: 'resume a paused dataflow execution on a server: the queues drain in order',
    arguments: [['<execution-id>', 'the execution']],
    load: async () => (await import('./dataflow-remote.js')).configureDataflowControlCommand('resume'),
  },
  {
    path: ['dataflow', 'stop'],
    description: 'stop (cancel) a dataflow execution on a server',
    arguments: [['<execution-id>', 'the execution']],
    load: async () => (await import('./dataflow-remote.js')).configureDataflowControlCommand('stop'),
  },
  {
    path: ['dataflow', 'inject'],
    description: 'inject JSON messages (arguments or --input FILE) into a dataflow execution on a server',
    arguments: [
      ['<execution-id>', 'the execution'],
      ['[values...]', 'JSON values, one message each'],
    ],
    load: async () => (await import('./dataflow-remote.js')).configureDataflowInjectCommand,
  },
  {
    path: ['schedules', 'add'],
    description:
      'add a cron schedule of a workflow file (--cron, --input, --missed skip|catchUp); `weft serve` starts its runs',
    arguments: [WORKFLOW_FILE],
    load: async () => (await import('./schedules.js')).configureSchedulesAddCommand,
  },
  {
    path: ['schedules', 'list'],
    aliases: ['ls'],
    description: 'list schedules: cron, zone, missed-tick policy, next and last tick',
    load: async () => (await import('./schedules.js')).configureSchedulesListCommand,
  },
  {
    path: ['schedules', 'remove'],
    aliases: ['rm'],
    description: 'remove a schedule (the runs it started stay)',
    arguments: [['<schedule-id>', 'the schedule (see `weft schedules list`)']],
    load: async () => (await import('./schedules.js')).configureSchedulesRemoveCommand,
  },
  {
    path: ['backends'],
    description: 'list the backends this runtime has (built-in and from plugins) with their health',
    load: async () => (await import('./backends.js')).configureBackendsCommand,
  },
  {
    path: ['worker'],
    description:
      'work the shared queue of a PostgreSQL store: own unowned runs, claim ready tasks for its backends, until SIGTERM',
    load: async () => (await import('./worker.js')).configureWorkerCommand,
  },
  {
    path: ['serve'],
    description: 'run the weft HTTP/WebSocket API server (the same thing as `weft-server`)',
    load: async () => (await import('./serve.js')).configureServeCommand,
  },
  ...taskCommands(),
  ...agentCommands(),
]

/**
 * The command these arguments run, read the way commander will read them: the first word names a
 * command or a group, a group's next word its subcommand. `help` in front (`weft help run`,
 * `weft runs help list`) asks for that command's help, which needs its options too.
 */
export function selectCommand(argv: readonly string[]): CommandEntry | undefined {
  const words = argv.filter((w, i) => !(w === 'help' && i < 2))
  const [first, second] = words
  if (first === undefined || first.startsWith('-')) return undefined
  const named = (entry: CommandEntry, word: string | undefined, at: 0 | 1) =>
    entry.path[at] === word || (at === entry.path.length - 1 && (entry.aliases ?? []).includes(word ?? ''))
  return COMMANDS.find((e) =>
    e.path.length === 1 ? named(e, first, 0) : e.path[0] === first && named(e, second, 1),
  )
}

/** `weft tasks …` and `weft queue …` (tasks-*.ts, queue.ts). */
function taskCommands(): CommandEntry[] {
  return [
    {
      path: ['tasks', 'submit'],
      description: 'submit one task without a workflow (`weft tasks submit --backend shell -- echo hi`)',
      arguments: [['[command...]', 'program and arguments, for backends that run commands (after --)']],
      load: async () => (await import('./tasks-submit.js')).configureTasksSubmitCommand,
    },
    {
      path: ['tasks', 'wait'],
      description: 'wait for a task to end; the exit code says how it ended (0 succeeded, 1 not)',
      arguments: [RUN_ID, TASK_ID],
      load: async () => (await import('./tasks-control.js')).configureTasksWaitCommand,
    },
    {
      path: ['tasks', 'list'],
      aliases: ['ls'],
      description: 'list tasks across runs by status, backend, agent or run',
      load: async () => (await import('./tasks-list.js')).configureTasksListCommand,
    },
    {
      path: ['tasks', 'cancel'],
      description: 'cancel one task: its dependents are skipped, the rest of the run goes on',
      arguments: [RUN_ID, TASK_ID],
      load: async () => (await import('./tasks-control.js')).configureTasksCancelCommand,
    },
    {
      path: ['tasks', 'output'],
      description:
        "print one task's whole output (text as is, JSON pretty; --json raw) and list its artifacts",
      arguments: [RUN_ID, TASK_ID],
      load: async () => (await import('./tasks-control.js')).configureTasksOutputCommand,
    },
    {
      path: ['queue', 'status'],
      description: 'show whether dispatch is paused (and by whom, why), with running and queued tasks',
      load: async () => (await import('./queue.js')).configureQueueStatusCommand,
    },
    {
      path: ['queue', 'pause'],
      description: 'pause dispatch everywhere the store is shared: no new task starts, running ones finish',
      load: async () => (await import('./queue.js')).configureQueuePauseCommand,
    },
    {
      path: ['queue', 'resume'],
      description: 'resume dispatch after `weft queue pause`',
      load: async () => (await import('./queue.js')).configureQueueResumeCommand,
    },
    {
      path: ['queue', 'history'],
      description: 'list the changes of the queue flag, newest first',
      load: async () => (await import('./queue.js')).configureQueueHistoryCommand,
    },
  ]
}

/** `weft agents …` (agents.ts, agents-up.ts). */
function agentCommands(): CommandEntry[] {
  const control = (action: 'pause' | 'resume' | 'stop', description: string): CommandEntry => ({
    path: ['agents', action],
    description,
    arguments: [AGENT_NAME],
    load: async () => (await import('./agents.js')).configureAgentControlCommand(action),
  })
  return [
    {
      path: ['agents', 'list'],
      aliases: ['ls'],
      description: 'list agents (workers): status, busy slots, backends, counts, last heartbeat',
      load: async () => (await import('./agents.js')).configureAgentsListCommand,
    },
    {
      path: ['agents', 'show'],
      description:
        'show one agent: process, heartbeat, capacity, current tasks, counts and its recent agent.* events',
      arguments: [AGENT_NAME],
      load: async () => (await import('./agents.js')).configureAgentsShowCommand,
    },
    control('pause', 'pause an agent: it claims nothing more and hands its running tasks back to the queue'),
    control('resume', 'let a paused agent claim work again'),
    control(
      'stop',
      'stop an agent: no more claims, running tasks finish (grace) or are handed back, the process exits',
    ),
    {
      path: ['agents', 'up'],
      description:
        'start N local `weft worker` processes with memory and CPU limits, restart crashed ones with backoff, stop them all on SIGTERM',
      load: async () => (await import('./agents-up.js')).configureAgentsUpCommand,
    },
  ]
}
