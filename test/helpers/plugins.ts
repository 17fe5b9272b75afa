import { join, resolve } from 'node:path'
import { discoverPlugins, orderPlugins, type LoadedPlugin } from '../../src/kernel/loader'
import type { PluginDescriptor } from '../../src/kernel/plugin'
import { bundledPlugins } from './app'

export const FIXTURE_PLUGINS = resolve(import.meta.dir, '../fixtures/plugins')

/** Wraps a descriptor defined in a test as a loaded plugin. */
export function inlinePlugin(descriptor: PluginDescriptor<any>, name = descriptor.name): LoadedPlugin {
  return { descriptor, file: `test:${name}`, dir: import.meta.dir, external: false }
}

/** Bundled plugins plus the fixtures folder (as PLUGINS_DIR) plus inline ones, ordered. */
export async function withFixtures(...inline: PluginDescriptor<any>[]): Promise<LoadedPlugin[]> {
  const external = (await discoverPlugins({ bundledDir: join(FIXTURE_PLUGINS, '_none'), externalDir: FIXTURE_PLUGINS })).filter((p) => p.external)
  return orderPlugins([...(await bundledPlugins()), ...external, ...inline.map((d) => inlinePlugin(d))])
}
