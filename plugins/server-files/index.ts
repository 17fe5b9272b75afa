import { Elysia } from 'elysia'
import { definePlugin } from 'hatchery'
import { browseRoutes } from './client/browse'
import { changeRoutes } from './client/change'
import { contentRoutes } from './client/content'
import { createRoutes } from './client/create'
import { transferRoutes } from './client/transfer'

export { Hidden, clientPath, underRoot } from './service/paths'
export { checkPullUrl } from './service/pull-url'

/**
 * The client file manager (spec 03 §5.4, without revisions and `sqlite-query`): every route under
 * `/api/client/servers/{server}/files` proxies the server's Wings after the panel has normalised
 * each path (400 above the root) and applied the subuser's hidden globs (§5.4.1). No tables.
 */
export default definePlugin({
  name: 'server-files',
  version: '1.0.0',
  description: 'The client file manager: Wings file proxies with subuser hidden paths',
  dependsOn: ['servers', 'nodes'],
  routes: {
    'client:server': (ctx) =>
      new Elysia().use(browseRoutes(ctx)).use(contentRoutes(ctx)).use(changeRoutes(ctx)).use(createRoutes(ctx)).use(transferRoutes(ctx)),
  },
})
