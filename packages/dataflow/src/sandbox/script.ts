import type { QuickJSHandle } from 'quickjs-emscripten'
import { loadedQuickJS, Sandbox, type SandboxLimits } from './quickjs.js'

/**
 * Inline component source, run in its own QuickJS runtime. The source is a script that defines
 * `process(ctx, port, value)` and optionally `initialize(ctx)` and `flush(ctx)`, the same hooks
 * as a host component; `ctx` offers `emit`, `emitBatch`, `getState`, `setState` and `log`, all of
 * them inside the sandbox. What a call emitted and logged is handed to the host when it returns,
 * and the host routes it (with backpressure) like any component's output.
 */

const PRELUDE = `
const __out = [];
const __logs = [];
const __state = new Map();
const ctx = Object.freeze({
  nodeId: __NODE__,
  emit(port, value) { __out.push([String(port), value === undefined ? null : value]); },
  emitBatch(port, values) { for (const v of values) __out.push([String(port), v === undefined ? null : v]); },
  getState(key) { return __state.get(key); },
  setState(key, value) { __state.set(key, value); },
  log(level, message) { __logs.push([String(level), String(message)]); },
});
`

const INVOKE = `(function (hook, port, value) {
  const fn = globalThis[hook];
  if (typeof fn !== 'function') {
    if (hook === 'process') throw new TypeError('the component source defines no process(ctx, port, value) function');
    return undefined;
  }
  return hook === 'process' ? fn(ctx, port, value) : fn(ctx);
})`

const TAKE = `(function () {
  const s = JSON.stringify({ out: __out, logs: __logs });
  __out.length = 0;
  __logs.length = 0;
  return s;
})`

export interface ScriptOutput {
  out: [string, unknown][]
  logs: [string, string][]
}

export class ScriptInstance {
  private readonly sandbox: Sandbox
  private readonly invoke: QuickJSHandle
  private readonly take: QuickJSHandle

  constructor(source: string, nodeId: string, limits?: SandboxLimits) {
    const module = loadedQuickJS()
    if (!module) throw new Error('QuickJS is not loaded: await loadQuickJS() first')
    this.sandbox = new Sandbox(module, limits)
    try {
      this.sandbox
        .evalHandle(PRELUDE.replace('__NODE__', JSON.stringify(nodeId)), 'the sandbox prelude')
        .dispose()
      this.sandbox.evalHandle(source, `the source of node '${nodeId}'`).dispose()
      this.invoke = this.sandbox.evalHandle(INVOKE, 'the sandbox prelude')
      this.take = this.sandbox.evalHandle(TAKE, 'the sandbox prelude')
    } catch (err) {
      this.sandbox.dispose()
      throw err
    }
  }

  /** Runs a hook; returns what it emitted and logged (also when it threw: then it is discarded). */
  run(
    hook: 'initialize' | 'process' | 'flush',
    port: string | undefined,
    value: unknown,
    what: string,
  ): ScriptOutput {
    try {
      this.sandbox.call(this.invoke, [hook, port, value], what)
    } catch (err) {
      try {
        this.sandbox.call(this.take, [], what)
      } catch {
        // The call's own error is the one to report.
      }
      throw err
    }
    return JSON.parse(this.sandbox.call(this.take, [], what) as string) as ScriptOutput
  }

  dispose(): void {
    for (const h of [this.invoke, this.take]) if (h.alive) h.dispose()
    this.sandbox.dispose()
  }
}
