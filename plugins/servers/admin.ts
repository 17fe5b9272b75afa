import { Elysia } from 'elysia'
import type { PluginContext } from 'hatchery'
import type { ServersApi } from './api'
import { adminNodeConfigRoutes } from './admin-node-config'
import { adminNodeServerRoutes } from './admin-node-servers'
import { adminNodeSystemRoutes } from './admin-node-system'
import { adminNodeHealthRoutes } from './admin-health'
import { adminUserServerRoutes } from './admin-user-servers'
import { adminServerReadRoutes } from './admin-servers'

/** Everything the servers plugin mounts under `/api/admin`. */
export function adminRoutes(ctx: PluginContext, api: ServersApi) {
  return new Elysia()
    .use(adminServerReadRoutes(ctx, api))
    .use(adminNodeSystemRoutes(ctx, api))
    .use(adminNodeHealthRoutes(ctx, api))
    .use(adminUserServerRoutes(ctx, api))
    .use(adminNodeConfigRoutes(ctx, api))
    .use(adminNodeServerRoutes(ctx, api))
}
