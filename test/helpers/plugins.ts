import { resolve } from 'node:path'
import type { PluginDescriptor } from '../../src/kernel/plugin'
import { withPlugins } from 'hatchery/testing'

/** The external fixture plugins (`greeter`, …) that cross-cutting tests load as a `PLUGINS_DIR`. */
export const FIXTURE_PLUGINS = resolve(import.meta.dir, '../fixtures/plugins')

/** Bundled plugins plus the fixtures folder (as PLUGINS_DIR) plus inline ones, ordered. */
export const withFixtures = (...inline: PluginDescriptor<any>[]) => withPlugins(FIXTURE_PLUGINS, ...inline)
