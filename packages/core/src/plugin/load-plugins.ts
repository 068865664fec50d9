import { createRequire } from 'node:module'
import { isAbsolute, join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { PLUGIN_SPECIFICATION_VERSION, WeftError, type WeftPlugin } from '@weft/spec'

function isPlugin(value: unknown): value is WeftPlugin {
  return (
    value !== null &&
    typeof value === 'object' &&
    (value as WeftPlugin).specificationVersion === PLUGIN_SPECIFICATION_VERSION &&
    typeof (value as WeftPlugin).name === 'string'
  )
}

/**
 * Loads plugins by package name with dynamic `import()`, resolved from `fromDir` (the directory
 * of the config file), so only what is installed there is needed. A package exports its plugin
 * as `plugin`.
 */
export async function loadPlugins(names: string[], fromDir: string): Promise<WeftPlugin[]> {
  const require = createRequire(join(fromDir, 'weft.config.js'))
  const plugins: WeftPlugin[] = []
  for (const name of names) {
    let resolved: string
    try {
      resolved = name.startsWith('.') || isAbsolute(name) ? resolve(fromDir, name) : require.resolve(name)
    } catch {
      throw new WeftError('plugin_not_found', `plugin '${name}' is not installed (looked from ${fromDir})`, {
        hint: `install the package '${name}' in ${fromDir}`,
        next: [{ action: 'install_package', package: name }],
      })
    }
    let mod: Record<string, unknown>
    try {
      mod = (await import(pathToFileURL(resolved).href)) as Record<string, unknown>
    } catch (err) {
      throw new WeftError('plugin_invalid', `plugin '${name}' failed to load: ${(err as Error).message}`, {
        cause: err,
        hint: 'check that the package is built and its version matches this weft',
      })
    }
    const plugin = mod.plugin ?? mod.default
    if (!isPlugin(plugin)) {
      throw new WeftError('plugin_invalid', `package '${name}' does not export a weft plugin`, {
        hint: `a plugin package exports \`plugin = definePlugin({ name, backends })\` with specificationVersion '${PLUGIN_SPECIFICATION_VERSION}'`,
      })
    }
    plugins.push(plugin)
  }
  return plugins
}
