import { t } from 'elysia'
import { definePlugin, type PluginSettings, type SettingsOf } from 'hatchery'
import servers from '../servers'
import * as tables from './tables'
import { adminTransferRoutes } from './admin'
import { remoteTransferRoutes } from './remote'
import { expireTransfers, forgetNodeTransfers } from './service/transfers'

export { tables }

const settings = {
  'server_transfers.timeout_minutes': {
    schema: t.Integer({ minimum: 1, maximum: 10_080 }),
    default: 720,
    description:
      'A transfer no node has reported on after this many minutes is ended as failed (the server stays on its source node), so no server stays transferring for ever.',
  },
} satisfies PluginSettings

declare module 'hatchery' {
  interface Settings extends SettingsOf<typeof settings> {}
}

/**
 * Server transfers between nodes (spec 02 §8.12, §6.11; spec 04 §1.6 F, §3): the admin routes
 * that start, cancel and watch them, the callbacks the nodes send when a transfer ends, and a job
 * that ends transfers nobody reports on. A failed, cancelled or timed-out transfer leaves the
 * server on its source node, usable, with the reserved allocations released.
 */
export default definePlugin({
  name: 'server-transfers',
  version: '1.0.0',
  description: 'Moving servers between nodes',
  dependsOn: ['servers', 'nodes', 'allocations', 'egg-configurations'],
  tables,
  migrations: '../../migrations/server-transfers',
  settings,
  setup(ctx) {
    ctx.api(servers).nodeResetHooks.add(forgetNodeTransfers)
  },
  jobs: {
    'expire-transfers': {
      schedule: { everySeconds: 60 },
      description: 'End transfers older than server_transfers.timeout_minutes as failed',
      run: async (ctx) => void (await expireTransfers(ctx, ctx.api(servers), await ctx.settings.get('server_transfers.timeout_minutes'))),
    },
  },
  routes: {
    admin: (ctx) => adminTransferRoutes(ctx, ctx.api(servers)),
    'remote:server': (ctx) => remoteTransferRoutes(ctx, ctx.api(servers)),
  },
})
