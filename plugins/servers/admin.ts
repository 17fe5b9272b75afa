import { Elysia } from 'elysia'
import type { PluginContext } from 'hatchery'
import type { ServersApi } from './api'
import { adminNodeConfigRoutes } from './admin-node-config'
import { adminNodeServerRoutes } from './admin-node-servers'
import { adminNodeSystemRoutes } from './admin-node-system'
import { adminServerLifecycleRoutes } from './admin-server-lifecycle'
import { adminServerDeployRoutes } from './admin-server-deploy'
import { adminServerLogRoutes } from './admin-server-logs'
import { adminNodeHealthRoutes } from './admin-health'
import { adminServerReadRoutes } from './admin-servers'
import { adminServerVariableRoutes } from './admin-server-variables'
import { adminServerAllocationRoutes } from './admin-server-allocations'

/** Everything the servers plugin mounts under `/api/admin`. */
export function adminRoutes(ctx: PluginContext, api: ServersApi) {
  return new Elysia()
    .use(adminServerReadRoutes(ctx, api))
    .use(adminServerLifecycleRoutes(ctx, api))
    .use(adminServerDeployRoutes(ctx, api))
    .use(adminServerLogRoutes(ctx, api))
    .use(adminNodeSystemRoutes(ctx, api))
    .use(adminNodeHealthRoutes(ctx, api))
    .use(adminNodeConfigRoutes(ctx, api))
    .use(adminNodeServerRoutes(ctx, api))
    .use(adminServerVariableRoutes(ctx, api))
    .use(adminServerAllocationRoutes(ctx))
}
