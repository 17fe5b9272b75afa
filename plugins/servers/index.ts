import { definePlugin, type PluginDescriptor } from 'hatchery'
import * as tables from './tables'
import { ServersApi } from './api'
import nests from '../nests'
import { adminRoutes } from './admin'
import { connectHooks } from './service/hooks'
import { provideServerLists } from './service/provided'
import { provideClientScope } from './client/scope'
import { clientServerListRoutes, clientServerRoutes } from './client/routes'

export { tables, ServersApi }
export { WingsClient } from './wings/client'
export { stripConfigPatch, FORBIDDEN_CONFIG_PATHS } from './service/node-config'
export { WingsUnreachable, PASSED_THROUGH, endpoint, type WingsOptions, type WingsTarget, type UnreachableReason } from './wings/transport'
export type { Connector } from './wings/connect'
export * as wingsModel from './wings/model'
export * as model from './model'
export { RemoteServer, type DocumentParts } from './wings/document-model'
export type { DocumentContributor } from './service/configuration'
export { getServer, adminServer, toAdminServers, listServers, type ServerRow, type ServerViews } from './service/admin-servers'

/**
 * Servers (spec 02 §8) and the Wings link (spec 04 §1): the `servers`, `server_allocations` and
 * `server_variables` tables, the Wings client every plugin uses to talk to a node
 * (`ctx.api(servers).wings(node)`, or `WingsClient`), and the node routes that need Wings.
 */
const plugin: PluginDescriptor<ServersApi> = definePlugin<ServersApi>({
  name: 'servers',
  version: '1.0.0',
  description: 'Game servers on Wings nodes, and the Wings link',
  dependsOn: ['users', 'nodes', 'allocations', 'nests', 'egg-configurations', 'backup-configurations', 'stats'],
  tables,
  migrations: '../../migrations/servers',
  uniqueMessages: { server_allocations_allocation_uuid_unique: 'server with allocation(s) or external id already exists' },
  setup(ctx) {
    const api = new ServersApi(ctx.secrets, ctx.settings, ctx.api(nests))
    connectHooks(ctx)
    provideServerLists(ctx, api)
    provideClientScope(ctx, api)
    return api
  },
  routes: {
    admin: (ctx) => adminRoutes(ctx, ctx.api(plugin)),
    client: (ctx) => clientServerListRoutes(ctx),
    'client:server': (ctx) => clientServerRoutes(ctx),
  },
})

export default plugin
