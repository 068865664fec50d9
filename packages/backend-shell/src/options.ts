import { z } from 'zod'

const NOT_A_SHELL =
  'command must be an argument array such as ["git", "log", "-1"]: weft runs it without a shell, so template values ' +
  'can never become commands. If you really want a shell, say so: command: ["sh", "-c", "your | pipeline"]'

/**
 * One argument. A whole-value template (`"${{ inputs.count }}"`) renders to a number, boolean or
 * object; arguments are strings, so scalars become their text and objects their JSON.
 */
const argument = z
  .union([
    z.string(),
    z.number(),
    z.boolean(),
    z.null(),
    z.record(z.string(), z.unknown()),
    z.array(z.unknown()),
  ])
  .transform((v) => (typeof v === 'string' ? v : JSON.stringify(v)))

const scalarText = z.union([z.string(), z.number(), z.boolean()]).transform(String)
const flag = z.preprocess((v) => (v === 'true' ? true : v === 'false' ? false : v), z.boolean())

/** The shell backend's options (a task's `with`). Strict: a misspelt key is reported, not ignored. */
export const ShellOptionsSchema = z.strictObject({
  /** Program and arguments. Never run through a shell. */
  command: z
    .array(argument, { error: (issue) => (typeof issue.input === 'string' ? NOT_A_SHELL : undefined) })
    .min(1, 'command needs at least the program to run, e.g. ["echo", "hello"]')
    .refine((c) => c[0] !== '', 'the program (command[0]) is empty'),
  /** Working directory, relative to the task's working directory. */
  cwd: z.string().min(1).optional(),
  /** Environment variables, merged over the environment of the weft process. */
  env: z.record(z.string(), scalarText).optional(),
  /** Text written to the command's standard input (objects are written as JSON). */
  stdin: argument.optional(),
  /** Parse stdout as JSON when it is an object, array, number, boolean or null. Default true. */
  parseJson: flag.default(true),
  /** Also report each stdout line as a debug log event while the command runs. Default false. */
  logStdout: flag.default(false),
})
export type ShellOptions = z.infer<typeof ShellOptionsSchema>
export type ShellOptionsInput = z.input<typeof ShellOptionsSchema>
