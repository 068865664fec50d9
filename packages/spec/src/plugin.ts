import type { Backend } from './backend.js'
import type { Component } from './component.js'
import type { Store } from './store.js'
import type { TraceSink } from './trace.js'

export const PLUGIN_SPECIFICATION_VERSION = 'weft.plugin.v1' as const

/** Opens a store from a URL-like location (`sqlite:./weft.db`, `memory:`). */
export interface StoreFactory {
  /** URL scheme this factory serves, e.g. `sqlite`. */
  scheme: string
  create(location: string): Store | Promise<Store>
}

/**
 * What a package contributes to a runtime. A package exports it as `plugin` (or as the module
 * itself) and a config file names the package.
 */
export interface WeftPlugin {
  specificationVersion: typeof PLUGIN_SPECIFICATION_VERSION
  name: string
  backends?: Backend[]
  stores?: StoreFactory[]
  /** Dataflow components (`@weft/dataflow` graphs name them in `component:`). */
  // biome-ignore lint/suspicious/noExplicitAny: a plugin's components each have their own options type
  components?: Component<any>[]
  /**
   * A trace sink for each runtime composed with this plugin (`@weft/otel`). A factory, so that
   * importing the package starts nothing: the runtime calls it once, when it is created.
   */
  traceSink?: () => TraceSink | undefined
}

export function definePlugin(plugin: Omit<WeftPlugin, 'specificationVersion'>): WeftPlugin {
  return { specificationVersion: PLUGIN_SPECIFICATION_VERSION, ...plugin }
}
