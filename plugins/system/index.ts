import { Elysia, t } from 'elysia'
import { definePlugin, type PluginSettings, type SettingsOf } from 'hatchery'
import { systemRoutes } from './admin'
import { updateRoutes } from './updates'

const settings = {
  // Written only by POST /api/admin/system/debug (read-only for PUT /api/admin/settings); null = APP_DEBUG.
  'system.debug': { schema: t.Union([t.Boolean(), t.Null()]), default: null, readOnly: true },
} satisfies PluginSettings

declare module 'hatchery' {
  interface Settings extends SettingsOf<typeof settings> {}
}

/**
 * The admin system area (`/api/admin/system/…` except `email`, which is the mail plugin's):
 * overview, health, the runtime debug switch, telemetry and updates. Hatchery calls nobody: no
 * telemetry is sent, there is no update information, NTP is not asked.
 */
export default definePlugin({
  name: 'system',
  version: '1.0.0',
  description: 'Admin system area: overview, health, debug switch, telemetry and updates',
  dependsOn: ['users'],
  settings,
  setup(ctx) {
    ctx.kernel.debugMode.provideSource(() => ctx.settings.get('system.debug'), ctx.plugin)
  },
  routes: { admin: (ctx) => new Elysia().use(systemRoutes(ctx)).use(updateRoutes(ctx)) },
})
