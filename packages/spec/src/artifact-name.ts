import { WeftError } from './errors.js'

/**
 * Bounds on artifact names, in UTF-8 bytes. A segment is one path component, which file systems
 * limit to 255 bytes (NAME_MAX); the whole name is bounded well below PATH_MAX (4096 on Linux) so
 * that a store may put it under its own folders and still open it.
 */
export const ARTIFACT_NAME_LIMITS = Object.freeze({ maxSegmentBytes: 255, maxNameBytes: 1024 })

/** The rule a name breaks; part of the `input_invalid` error's details. */
export type ArtifactNameRule =
  | 'not_string'
  | 'empty'
  | 'absolute'
  | 'backslash'
  | 'control_character'
  | 'unpaired_surrogate'
  | 'empty_segment'
  | 'dot_segment'
  | 'segment_too_long'
  | 'name_too_long'

export interface ArtifactNameProblem {
  rule: ArtifactNameRule
  message: string
}

/** C0 controls (NUL included), DEL and C1 controls: invisible, and NUL ends a path in the OS. */
function hasControlCharacter(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) return true
  }
  return false
}
// A lone UTF-16 surrogate has no UTF-8 form: two different names would be stored as one.
const UNPAIRED = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/

/**
 * The one definition of a valid artifact name, shared by every store: a relative path with `/`
 * separators (`report.md`, `out/report.md`) whose segments are not empty, `.` or `..`, without
 * backslashes, control characters or unpaired surrogates, each segment at most 255 UTF-8 bytes and
 * the whole at most 1024. Returns the first rule broken, or undefined when the name is valid.
 */
export function artifactNameProblem(name: unknown): ArtifactNameProblem | undefined {
  if (typeof name !== 'string') return { rule: 'not_string', message: 'an artifact name must be a string' }
  if (name === '') return { rule: 'empty', message: 'an artifact name must not be empty' }
  if (name.startsWith('/') || /^[A-Za-z]:/.test(name)) {
    return { rule: 'absolute', message: 'an artifact name must be a relative path, not an absolute one' }
  }
  if (name.includes('\\')) {
    return { rule: 'backslash', message: "an artifact name separates folders with '/', not '\\'" }
  }
  if (hasControlCharacter(name)) {
    return {
      rule: 'control_character',
      message: 'an artifact name must not contain NUL or other control characters',
    }
  }
  if (UNPAIRED.test(name)) {
    return {
      rule: 'unpaired_surrogate',
      message: 'an artifact name must be valid Unicode (it has an unpaired surrogate)',
    }
  }
  const bytes = utf8Length(name)
  if (bytes > ARTIFACT_NAME_LIMITS.maxNameBytes) {
    return {
      rule: 'name_too_long',
      message: `an artifact name is at most ${ARTIFACT_NAME_LIMITS.maxNameBytes} bytes (UTF-8); this one is ${bytes}`,
    }
  }
  for (const segment of name.split('/')) {
    if (segment === '') {
      return {
        rule: 'empty_segment',
        message: "an artifact name must not have empty segments ('//' or a trailing '/')",
      }
    }
    if (segment === '.' || segment === '..') {
      return { rule: 'dot_segment', message: `an artifact name must not have '${segment}' segments` }
    }
    const segmentBytes = utf8Length(segment)
    if (segmentBytes > ARTIFACT_NAME_LIMITS.maxSegmentBytes) {
      return {
        rule: 'segment_too_long',
        message: `each segment of an artifact name is at most ${ARTIFACT_NAME_LIMITS.maxSegmentBytes} bytes (UTF-8); one is ${segmentBytes}`,
      }
    }
  }
  return undefined
}

/** Throws `input_invalid` naming the rule when `name` is not a valid artifact name. */
export function assertArtifactName(name: unknown): asserts name is string {
  const problem = artifactNameProblem(name)
  if (!problem) return
  const shown =
    typeof name === 'string'
      ? JSON.stringify(name.length > 80 ? `${name.slice(0, 80)}…` : name)
      : String(name)
  throw new WeftError('input_invalid', `invalid artifact name ${shown}: ${problem.message}`, {
    hint: "use names like 'report.md' or 'out/report.md'",
    details: { rule: problem.rule },
  })
}

/** UTF-8 length of a well-formed string (checked above), without Node's Buffer. */
function utf8Length(s: string): number {
  let n = 0
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c < 0x80) n += 1
    else if (c < 0x800) n += 2
    else if (c >= 0xd800 && c <= 0xdbff) {
      n += 4
      i++
    } else n += 3
  }
  return n
}
