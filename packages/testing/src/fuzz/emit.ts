/**
 * A generated workflow is a small tree ("shape") that may hold markers for values nested far too
 * deep. Each form renders the markers its own way, without recursing once per level, so the
 * generator itself never overflows the stack: as real nested objects (for code and HTTP bodies),
 * as JSON text, and as YAML text in block or flow style.
 */

const DEEP = Symbol('weft.fuzz.deep')

/** A value nested `depth` levels deep, made of arrays, objects or both alternately. */
export interface DeepMarker {
  [DEEP]: { depth: number; kind: 'array' | 'object' | 'mixed' }
}

export function deep(depth: number, kind: 'array' | 'object' | 'mixed'): DeepMarker {
  return { [DEEP]: { depth, kind } }
}

function marker(v: unknown): DeepMarker[typeof DEEP] | undefined {
  return v !== null && typeof v === 'object' && DEEP in v ? (v as DeepMarker)[DEEP] : undefined
}

/** Builds the real nested value in a loop (JSON.stringify of it would itself overflow). */
function materialize({ depth, kind }: DeepMarker[typeof DEEP]): unknown {
  let v: unknown = 'leaf'
  for (let i = 0; i < depth; i++) {
    const asArray = kind === 'array' || (kind === 'mixed' && i % 2 === 0)
    v = asArray ? [v] : { k: v }
  }
  return v
}

function deepText({ depth, kind }: DeepMarker[typeof DEEP]): string {
  const open: string[] = []
  const close: string[] = []
  for (let i = 0; i < depth; i++) {
    const asArray = kind === 'array' || (kind === 'mixed' && i % 2 === 0)
    open.push(asArray ? '[' : '{"k":')
    close.push(asArray ? ']' : '}')
  }
  return `${open.reverse().join('')}"leaf"${close.join('')}`
}

/** Own entries, `__proto__` included (shapes are built with Object.fromEntries, which keeps it). */
const entries = (o: object) => Object.keys(o).map((k) => [k, (o as Record<string, unknown>)[k]] as const)

function define(target: Record<string, unknown>, key: string, value: unknown) {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true })
}

export function toObject(shape: unknown): unknown {
  const m = marker(shape)
  if (m) return materialize(m)
  if (Array.isArray(shape)) return shape.map(toObject)
  if (shape !== null && typeof shape === 'object') {
    const out: Record<string, unknown> = {}
    for (const [k, v] of entries(shape)) define(out, k, toObject(v))
    return out
  }
  return shape
}

export function toJsonText(shape: unknown): string {
  const m = marker(shape)
  if (m) return deepText(m)
  if (Array.isArray(shape))
    return `[${shape.map((v) => (v === undefined ? 'null' : toJsonText(v))).join(',')}]`
  if (shape !== null && typeof shape === 'object') {
    const parts = entries(shape)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${JSON.stringify(k)}:${toJsonText(v)}`)
    return `{${parts.join(',')}}`
  }
  if (typeof shape === 'number' && !Number.isFinite(shape)) return '1e999'
  return JSON.stringify(shape) ?? 'null'
}

/** YAML block style down to `flowBelow` levels, flow (JSON) style beneath. */
export function toYamlText(shape: unknown, flowBelow = 6): string {
  const lines: string[] = []
  // JSON is YAML: a scalar, or a collection below the block levels, is written in flow style.
  const scalar = toJsonText
  const emit = (value: unknown, indent: string, level: number) => {
    const block = (v: unknown) =>
      !marker(v) && v !== null && typeof v === 'object' && level < flowBelow && Object.keys(v).length > 0
    if (Array.isArray(value)) {
      for (const item of value) {
        if (block(item)) {
          lines.push(`${indent}-`)
          emit(item, `${indent}  `, level + 1)
        } else lines.push(`${indent}- ${scalar(item)}`)
      }
      return
    }
    for (const [k, v] of entries(value as object)) {
      if (v === undefined) continue
      if (block(v)) {
        lines.push(`${indent}${JSON.stringify(k)}:`)
        emit(v, `${indent}  `, level + 1)
      } else lines.push(`${indent}${JSON.stringify(k)}: ${scalar(v)}`)
    }
  }
  if (marker(shape) || shape === null || typeof shape !== 'object' || Object.keys(shape).length === 0) {
    return `${scalar(shape)}\n`
  }
  emit(shape, '', 0)
  return `${lines.join('\n')}\n`
}
