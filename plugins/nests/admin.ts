import { Elysia } from 'elysia'
import type { PluginContext } from 'hatchery'
import type { NestHooks } from './hooks'
import { adminNestRoutes } from './nests'
import { adminEggListRoutes } from './eggs'
import { adminEggRoutes } from './egg'
import { adminVariableRoutes } from './variables'
import { adminEggMountRoutes } from './egg-mounts'

/** `/api/admin/nests…`: nests, eggs, egg variables and egg mounts (import and export: `import-routes.ts`). */
export function adminNestsRoutes(ctx: PluginContext, hooks: NestHooks) {
  return new Elysia()
    .use(adminNestRoutes(ctx, hooks))
    .use(adminEggListRoutes(ctx, hooks))
    .use(adminEggRoutes(ctx, hooks))
    .use(adminVariableRoutes(ctx))
    .use(adminEggMountRoutes(ctx))
}
