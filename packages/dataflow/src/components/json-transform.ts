import { defineComponent } from '@weft/spec'
import { z } from 'zod'

const PATH = /^(?:[A-Za-z_$][\w$-]*|\[\d+\])(?:\.[A-Za-z_$][\w$-]*|\[\d+\])*$/

const JsonTransformOptions = z.strictObject({
  /** Extract: `data.items[0].name` (own properties only). */
  path: z.string().regex(PATH, 'a path is `a.b[0].c`').optional(),
  /** Keep only these keys of an object. */
  pick: z.array(z.string()).optional(),
  /** Drop these keys of an object. */
  omit: z.array(z.string()).optional(),
  /** Rename keys: `{ old: new }`. */
  rename: z.record(z.string(), z.string()).optional(),
  /** Set keys to constants. */
  set: z.record(z.string(), z.unknown()).optional(),
})
type Options = z.infer<typeof JsonTransformOptions>

/** Segments of a `a.b[0]` path. */
export function pathSegments(path: string): (string | number)[] {
  return path.split(/\.|(?=\[)/).map((s) => (s.startsWith('[') ? Number(s.slice(1, -1)) : s))
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v)
}

export function transformJson(value: unknown, o: Options, segments?: (string | number)[]): unknown {
  let v = value
  for (const seg of segments ?? []) {
    if (v === null || typeof v !== 'object' || !Object.hasOwn(v, seg)) return null
    v = (v as Record<string | number, unknown>)[seg]
  }
  if (!isObject(v) || !(o.pick || o.omit || o.rename || o.set)) return v
  let out: Record<string, unknown> = o.pick
    ? Object.fromEntries(
        o.pick
          .filter((k) => Object.hasOwn(v as object, k))
          .map((k) => [k, (v as Record<string, unknown>)[k]]),
      )
    : { ...v }
  if (o.omit) for (const k of o.omit) delete out[k]
  if (o.rename) {
    out = Object.fromEntries(
      Object.entries(out).map(([k, val]) => [Object.hasOwn(o.rename!, k) ? o.rename![k]! : k, val]),
    )
  }
  if (o.set)
    for (const [k, val] of Object.entries(o.set))
      Object.defineProperty(out, k, { value: val, enumerable: true, writable: true, configurable: true })
  return out
}

export const jsonTransformComponent = defineComponent<Options>({
  id: 'json-transform',
  label: 'JSON transform',
  description: 'Extracts a path, then picks, omits, renames and sets keys — declarative, no code',
  inputs: [{ name: 'in' }],
  outputs: [{ name: 'out' }],
  optionsSchema: JsonTransformOptions,
  initialize(ctx) {
    if (ctx.options.path) ctx.setState('segments', pathSegments(ctx.options.path))
  },
  process: (ctx, _port, value) =>
    ctx.emit('out', transformJson(value, ctx.options, ctx.getState('segments'))),
})
