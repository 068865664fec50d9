import type { Component } from '@weft/spec'
import { type AgentComponentOptions, createAgentComponent } from './agent.js'
import {
  delayComponent,
  inputComponent,
  loggerComponent,
  mergeComponent,
  outputComponent,
  passthroughComponent,
} from './basic.js'
import { accumulatorComponent, windowComponent } from './batching.js'
import { filterComponent, mapComponent, splitComponent } from './expression-components.js'
import { httpRequestComponent } from './http-request.js'
import { jsonTransformComponent } from './json-transform.js'
import { scriptComponent } from './script.js'

export { type AgentComponentOptions, createAgentComponent }

/** Every built-in component; `agent` runs through the given backends (none: every agent node is invalid). */
// biome-ignore lint/suspicious/noExplicitAny: each component has its own options type
export function builtinComponents(agent?: AgentComponentOptions): Component<any>[] {
  return [
    inputComponent,
    outputComponent,
    passthroughComponent,
    loggerComponent,
    delayComponent,
    filterComponent,
    mapComponent,
    mergeComponent,
    splitComponent,
    accumulatorComponent,
    windowComponent,
    jsonTransformComponent,
    httpRequestComponent,
    scriptComponent,
    createAgentComponent(agent ?? { backends: [] }),
  ]
}
