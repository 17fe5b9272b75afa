import { Elysia } from 'elysia'
import { definePlugin } from 'hatchery'
import { extensionRoutes } from './admin'
import { manageRoutes } from './manage'
import { extensionsCli } from './cli'

/**
 * `/api/admin/extensions…`: the installed plugins, and switching one off and on at run time
 * (the kernel's extension switch, setting `extensions.disabled`). Uploading code is not offered.
 */
export default definePlugin({
  name: 'extensions',
  version: '1.0.0',
  description: 'Lists the installed plugins and enables or disables them at run time',
  dependsOn: ['users'],
  routes: { admin: (ctx) => new Elysia().use(extensionRoutes(ctx)).use(manageRoutes(ctx)) },
  cli: extensionsCli,
})
