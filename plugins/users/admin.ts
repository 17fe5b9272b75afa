import { Elysia } from 'elysia'
import type { PluginContext } from 'hatchery'
import type { UsersApi } from './api'
import mail from '../mail'
import { adminUserRoutes } from './admin-users'
import { adminUserActionRoutes } from './admin-user-actions'
import { adminRoleRoutes } from './admin-roles'
import { adminActivityRoutes } from './admin-activity'

/** Everything the users plugin mounts under `/api/admin`. */
export function adminRoutes(ctx: PluginContext, api: UsersApi) {
  const mailer = ctx.api(mail)
  return new Elysia()
    .use(adminUserRoutes(ctx, api, mailer))
    .use(adminUserActionRoutes(ctx, api, mailer))
    .use(adminRoleRoutes(ctx, api))
    .use(adminActivityRoutes(ctx))
}
