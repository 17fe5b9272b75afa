import { Elysia } from 'elysia'
import { definePlugin, type PluginDescriptor } from 'hatchery'
import * as tables from './tables'
import { ServersApi } from './api'
import nests from '../nests'
import { adminRoutes } from './admin'
import { connectHooks } from './service/hooks'
import { provideServerLists } from './service/provided'
import mail from '../mail'
import { provideRemote } from './remote/provide'
import { remoteRoutes } from './remote/routes'
import { remoteServerRoutes } from './remote/server-routes'
import { registerInstallMail } from './service/install-mail'
import { enforceServerActivityRetention } from './service/server-activity'
import { provideClientScope } from './client/scope'
import account from '../account'
import { groupServers } from './client/servers'
import { clientServerListRoutes, clientServerRoutes } from './client/routes'
import { clientInstallRoutes } from './client/install'
import { clientConsoleRoutes } from './client/console'
import { clientServerActivityRoutes } from './client/server-activity'
import { clientBulkPowerRoutes } from './client/power'
import { clientSubuserRoutes } from './client/subusers'
import { findSubuser, registerSubuserMail } from './service/subusers-store'
import { clientAllocationRoutes } from './client/allocations'
import { clientAnnouncementRoutes } from './client/announcements'
import { clientEggNodeRoutes } from './client/eggs-nodes'
import { clientSettingsRoutes } from './client/settings'
import { clientStartupRoutes } from './client/startup'
import oauth from '../oauth'
import { ANNOUNCEMENTS_CHANGED } from '../announcements'
import { SUBUSERS_CHANGED } from './service/subuser-changes'
import { serverSubuserMappingType } from './service/oauth-mapping'

export { tables, ServersApi }
export type { BackupMigration, CompletedTransfer, ServerDeletionHook, TransferHook } from './api'
export { serverActivity } from './client/activity'
export { WingsClient } from './wings/client'
export { signWingsToken } from './wings/jwt'
export { stripConfigPatch, FORBIDDEN_CONFIG_PATHS } from './service/node-config'
export { WingsUnreachable, PASSED_THROUGH, endpoint, type WingsOptions, type WingsTarget, type UnreachableReason } from './wings/transport'
export type { Connector } from './wings/connect'
export * as wingsModel from './wings/model'
export * as model from './model'
export { RemoteServer, type DocumentParts } from './wings/document-model'
export type { DocumentContributor } from './service/configuration'
export type { NodeResetHook } from './service/remote-servers'
export { NODE_STATE_RESET, INSTALL_COMPLETED, abandonTransfer } from './service/remote-servers'
export { SubuserSlot, wingsPermissions, type SubuserGrant, type SubuserLookup, type ServerRelation } from './service/subusers'
export { serverActivities, serverSubusers } from './tables'
export { getServer, adminServer, toAdminServers, listServers, type ServerRow, type ServerViews } from './service/admin-servers'
export { permitsServer, type ClientServerAccess } from './client/scope'
export { visibleServer } from './client/scope'
export { send as sendToWings, type Call as WingsCall } from './wings/transport'

/**
 * Servers (spec 02 §8) and the Wings link (spec 04 §1): the `servers`, `server_allocations` and
 * `server_variables` tables, the Wings client every plugin uses to talk to a node
 * (`ctx.api(servers).wings(node)`, or `WingsClient`), and the node routes that need Wings.
 * What nodes call, `/api/remote` (spec 04 §3: node authentication, the `remote:server` scope, the
 * server activity log), is in `remote/` and `service/remote-*.ts`.
 */
const plugin: PluginDescriptor<ServersApi> = definePlugin<ServersApi>({
  name: 'servers',
  version: '1.0.0',
  description: 'Game servers on Wings nodes, and the Wings link',
  dependsOn: [
    'users',
    'nodes',
    'allocations',
    'nests',
    'backup-configurations',
    'stats',
    'mail',
    'account',
    'egg-configurations',
    'announcements',
    'locations',
    'oauth',
  ],
  tables,
  migrations: '../../migrations/servers',
  uniqueMessages: { server_allocations_allocation_uuid_unique: 'server with allocation(s) or external id already exists' },
  setup(ctx) {
    const api = new ServersApi(ctx.secrets, ctx.settings, ctx.api(nests))
    connectHooks(ctx)
    provideServerLists(ctx, api)
    provideRemote(ctx)
    registerInstallMail(ctx.api(mail))
    provideClientScope(ctx, api)
    ctx.api(account).provideGroupServers(groupServers)
    api.subusers.provide((db, server, user) => findSubuser(db, server.uuid, user), ctx.plugin)
    registerSubuserMail(ctx.api(mail))
    ctx.api(oauth).mappingTypes.register('server_subuser', serverSubuserMappingType(ctx, api))
    ctx.events.on(ANNOUNCEMENTS_CHANGED, () => api.serverAnnouncements.clear())
    ctx.events.on(SUBUSERS_CHANGED, ({ user }) => api.reachOnNode.dropPrefix(`${user} `))
    return api
  },
  jobs: {
    'activity-retention': {
      schedule: '15,45 * * * *',
      description: 'Delete server activity past activity.server_log_retention_{days,count}, in batches',
      run: async (ctx) => void (await enforceServerActivityRetention(ctx.db, await ctx.settings.snapshot())),
    },
  },
  routes: {
    admin: (ctx) => adminRoutes(ctx, ctx.api(plugin)),
    remote: (ctx) => remoteRoutes(ctx, ctx.api(plugin)),
    'remote:server': (ctx) => remoteServerRoutes(ctx, ctx.api(plugin)),
    client: (ctx) =>
      new Elysia()
        .use(clientServerListRoutes(ctx))
        .use(clientBulkPowerRoutes(ctx, ctx.api(plugin)))
        .use(clientEggNodeRoutes(ctx, ctx.api(plugin))),
    'client:server': (ctx) =>
      new Elysia()
        .use(clientServerRoutes(ctx))
        .use(clientInstallRoutes(ctx, ctx.api(plugin)))
        .use(clientConsoleRoutes(ctx, ctx.api(plugin)))
        .use(clientServerActivityRoutes(ctx))
        .use(clientSubuserRoutes(ctx, ctx.api(plugin)))
        .use(clientSettingsRoutes(ctx, ctx.api(plugin)))
        .use(clientStartupRoutes(ctx, ctx.api(plugin)))
        .use(clientAllocationRoutes(ctx, ctx.api(plugin)))
        .use(clientAnnouncementRoutes(ctx, ctx.api(plugin))),
  },
})

export default plugin
