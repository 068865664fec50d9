import type { QuickJSContext, QuickJSHandle, QuickJSRuntime, QuickJSWASMModule } from 'quickjs-emscripten'

/**
 * User code (expressions outside the fast subset, inline component source) runs here: QuickJS
 * compiled to WebAssembly, one QuickJS runtime per node with its own memory limit, a deadline per
 * call enforced by the interpreter's interrupt handler, and a stack limit. The sandbox has no
 * Node.js globals (`process`, `require`), no module loader (`import` fails), no timers and no I/O;
 * values cross the boundary as copies (numbers, strings, booleans, or JSON), never as host objects.
 */

export interface SandboxLimits {
  /** Wall-clock budget of one call. Default 1000 ms. */
  timeoutMs?: number
  /** Heap limit of the node's QuickJS runtime. Default 32 MiB. */
  memoryBytes?: number
  /** Default 256 KiB. */
  stackBytes?: number
}

export const DEFAULT_SANDBOX_LIMITS: Required<SandboxLimits> = {
  timeoutMs: 1000,
  memoryBytes: 32 * 1024 * 1024,
  stackBytes: 256 * 1024,
}

export type SandboxErrorKind = 'syntax' | 'timeout' | 'memory' | 'stack' | 'forbidden' | 'runtime'

/** A failure of user code, with a message that says what happened and what the limit was. */
export class SandboxError extends Error {
  override readonly name = 'SandboxError'
  constructor(
    readonly kind: SandboxErrorKind,
    message: string,
  ) {
    super(message)
  }
}

let modulePromise: Promise<QuickJSWASMModule> | undefined
let loaded: QuickJSWASMModule | undefined

/** Loads the QuickJS WebAssembly module once per process (about 20 ms). */
export async function loadQuickJS(): Promise<QuickJSWASMModule> {
  // Imported on first use: a graph of built-ins on the fast path (and a server that never runs
  // user code) does not load the WebAssembly module or its JavaScript.
  modulePromise ??= import('quickjs-emscripten')
    .then(({ getQuickJS }) => getQuickJS())
    .then((m) => {
      loaded = m
      return m
    })
  return modulePromise
}

/** The module when `loadQuickJS` has finished, for synchronous compilation. */
export function loadedQuickJS(): QuickJSWASMModule | undefined {
  return loaded
}

const HOST_NAMES =
  /^'(process|require|module|exports|globalThis\.process|Buffer|fetch|setTimeout|setInterval)' is not defined$/

/** One QuickJS runtime and context with limits. */
export class Sandbox {
  readonly runtime: QuickJSRuntime
  readonly context: QuickJSContext
  private deadline = 0
  private readonly limits: Required<SandboxLimits>
  private readonly toJson: QuickJSHandle
  private readonly fromJson: QuickJSHandle

  constructor(module: QuickJSWASMModule, limits: SandboxLimits = {}) {
    this.limits = { ...DEFAULT_SANDBOX_LIMITS, ...limits }
    this.runtime = module.newRuntime()
    this.runtime.setMemoryLimit(this.limits.memoryBytes)
    this.runtime.setMaxStackSize(this.limits.stackBytes)
    this.runtime.setInterruptHandler(() => Date.now() > this.deadline)
    this.context = this.runtime.newContext()
    this.toJson = this.evalHandle('(v) => JSON.stringify(v)', 'helpers')
    this.fromJson = this.evalHandle('(s) => JSON.parse(s)', 'helpers')
  }

  /** Evaluates code as a global script and returns the handle of its value (the caller disposes). */
  evalHandle(code: string, what: string): QuickJSHandle {
    this.deadline = Date.now() + this.limits.timeoutMs
    const result = this.context.evalCode(code, `${what}.js`, { type: 'global' })
    if (result.error) throw this.failure(result.error, what, true)
    return result.value
  }

  /** Calls a sandbox function with copies of `args`; returns a copy of its (settled) result. */
  call(fn: QuickJSHandle, args: readonly unknown[], what: string): unknown {
    const ctx = this.context
    const handles = args.map((a) => this.toHandle(a))
    this.deadline = Date.now() + this.limits.timeoutMs
    const result = ctx.callFunction(fn, ctx.undefined, ...handles)
    for (const h of handles) if (h.alive && !isStatic(ctx, h)) h.dispose()
    if (result.error) throw this.failure(result.error, what, false)
    return this.settle(result.value, what)
  }

  dispose(): void {
    for (const h of [this.toJson, this.fromJson]) if (h.alive) h.dispose()
    this.context.dispose()
    this.runtime.dispose()
  }

  private settle(handle: QuickJSHandle, what: string): unknown {
    const ctx = this.context
    try {
      const type = ctx.typeof(handle)
      if (type !== 'object') return this.fromHandle(handle, type)
      // A promise (an async function, `import()`): run its jobs now; the sandbox has no timers or
      // I/O, so whatever does not settle here never will.
      this.deadline = Date.now() + this.limits.timeoutMs
      const jobs = this.runtime.executePendingJobs()
      if (jobs.error) throw this.failure(jobs.error, what, false)
      const state = ctx.getPromiseState(handle)
      if ('notAPromise' in state && state.notAPromise) return this.fromHandle(handle, type)
      if (state.type === 'pending') {
        throw new SandboxError(
          'runtime',
          `${what} returned a promise that never settled (the sandbox has no timers or I/O)`,
        )
      }
      if (state.type === 'rejected') throw this.failure(state.error, what, false)
      try {
        return this.fromHandle(state.value)
      } finally {
        state.value.dispose()
      }
    } finally {
      if (handle.alive) handle.dispose()
    }
  }

  private toHandle(value: unknown): QuickJSHandle {
    const ctx = this.context
    switch (typeof value) {
      case 'number':
        return ctx.newNumber(value)
      case 'string':
        return ctx.newString(value)
      case 'boolean':
        return value ? ctx.true : ctx.false
      case 'undefined':
        return ctx.undefined
      default: {
        if (value === null) return ctx.null
        const text = ctx.newString(JSON.stringify(value))
        try {
          return ctx.unwrapResult(ctx.callFunction(this.fromJson, ctx.undefined, text))
        } finally {
          text.dispose()
        }
      }
    }
  }

  private fromHandle(handle: QuickJSHandle, known?: string): unknown {
    const ctx = this.context
    const type = known ?? ctx.typeof(handle)
    if (type === 'number') return ctx.getNumber(handle)
    if (type === 'string') return ctx.getString(handle)
    if (type === 'undefined') return undefined
    if (type === 'boolean') return ctx.dump(handle) as boolean
    if (type === 'function' || type === 'symbol' || type === 'bigint') {
      throw new SandboxError(
        'runtime',
        `user code returned a ${type}, which cannot leave the sandbox (return JSON values)`,
      )
    }
    this.deadline = Date.now() + this.limits.timeoutMs
    const text = ctx.callFunction(this.toJson, ctx.undefined, handle)
    if (text.error) throw this.failure(text.error, 'converting the result to JSON', false)
    try {
      const s = ctx.typeof(text.value) === 'string' ? ctx.getString(text.value) : undefined
      return s === undefined ? undefined : JSON.parse(s)
    } finally {
      text.value.dispose()
    }
  }

  /** A clear error from a QuickJS exception (and disposes its handle). */
  private failure(errorHandle: QuickJSHandle, what: string, compiling: boolean): SandboxError {
    let dumped: unknown
    try {
      dumped = this.context.dump(errorHandle)
    } finally {
      errorHandle.dispose()
    }
    const name = (dumped as { name?: string })?.name ?? 'Error'
    const message = String((dumped as { message?: unknown })?.message ?? dumped)
    if (name === 'InternalError' && message === 'interrupted') {
      return new SandboxError(
        'timeout',
        `${what} ran longer than its limit of ${this.limits.timeoutMs} ms and was stopped`,
      )
    }
    if (/out of memory/i.test(message)) {
      return new SandboxError(
        'memory',
        `${what} used more than its memory limit of ${Math.round(this.limits.memoryBytes / 1048576)} MiB and was stopped`,
      )
    }
    if ((name === 'RangeError' || name === 'InternalError') && /stack/i.test(message)) {
      return new SandboxError('stack', `${what} recursed deeper than the sandbox's stack allows`)
    }
    if (/could not load module|import/i.test(message) && !/is not defined/.test(message)) {
      return new SandboxError('forbidden', `${what}: import is not available in the sandbox (${message})`)
    }
    if (name === 'ReferenceError' && HOST_NAMES.test(message)) {
      return new SandboxError(
        'forbidden',
        `${what}: ${message}: the sandbox has no Node.js globals (process, require, Buffer, timers, I/O)`,
      )
    }
    if (name === 'SyntaxError' && compiling)
      return new SandboxError('syntax', `${what} is not valid JavaScript: ${message}`)
    return new SandboxError('runtime', `${what} threw ${name}: ${message}`)
  }
}

function isStatic(ctx: QuickJSContext, h: QuickJSHandle): boolean {
  return h === ctx.undefined || h === ctx.null || h === ctx.true || h === ctx.false
}
