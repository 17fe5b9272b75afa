import { discoverPlugins, orderPlugins, type LoadedPlugin } from '../kernel/loader'
import type { PluginDescriptor } from '../kernel/plugin'

let bundled: Promise<LoadedPlugin[]> | undefined

/** Bundled plugins, discovered once per run. */
export function bundledPlugins(): Promise<LoadedPlugin[]> {
  bundled ??= discoverPlugins()
  return bundled
}

/**
 * The bundled plugins without `names` and without every plugin that depends on one of them, directly
 * or not (a test of a panel lacking, say, the servers plugin).
 * @example const t = useTestApp(async () => ({ plugins: await bundledPluginsWithout('servers') }))
 */
export async function bundledPluginsWithout(...names: string[]): Promise<LoadedPlugin[]> {
  const dropped = new Set(names)
  const all = await bundledPlugins()
  for (let grew = true; grew;) {
    grew = false
    for (const p of all)
      if (!dropped.has(p.descriptor.name) && (p.descriptor.dependsOn ?? []).some((d) => dropped.has(d))) {
        dropped.add(p.descriptor.name)
        grew = true
      }
  }
  return all.filter((p) => !dropped.has(p.descriptor.name))
}

/** Wraps a descriptor defined in a test as a loaded plugin. */
export function inlinePlugin(descriptor: PluginDescriptor<any>, name = descriptor.name): LoadedPlugin {
  return { descriptor, file: `test:${name}`, dir: import.meta.dir, external: false }
}

/**
 * The bundled plugins plus the external ones of `dir` (a `PLUGINS_DIR`: a folder of plugin
 * folders, whose bare imports resolve from the panel) plus `inline` ones, in dependency order.
 * @example const t = useTestApp({ plugins: await withPlugins('/srv/panel-plugins') })
 */
export async function withPlugins(dir: string, ...inline: PluginDescriptor<any>[]): Promise<LoadedPlugin[]> {
  const external = (await discoverPlugins({ bundledDir: null, externalDir: dir })).filter((p) => p.external)
  return orderPlugins([...(await bundledPlugins()), ...external, ...inline.map((d) => inlinePlugin(d))])
}
