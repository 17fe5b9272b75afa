import { Elysia, t } from 'elysia'
import { actorOf, type PluginContext } from 'hatchery'
import type { ServersApi } from './api'
import { AdminServer, CreateServer } from './model'
import { adminServer } from './service/admin-servers'
import { createServer } from './service/create'

/** `POST /api/admin/servers` (spec 02 §8.2): a server on a chosen node, installed by its Wings. */
export function adminServerCreateRoutes(ctx: PluginContext, api: ServersApi) {
  return new Elysia({ tags: ['admin servers'] }).use(ctx.guard).post(
    '/servers',
    async ({ body, principal, request }) => {
      const row = await createServer(ctx, api, actorOf(principal, request), body)
      return { server: await adminServer(ctx.db, await api.views(), row) }
    },
    {
      permission: 'admin:servers.create',
      body: CreateServer,
      response: { 200: t.Object({ server: AdminServer }) },
      detail: {
        summary: 'Create a server on a node',
        description:
          "Every egg variable is checked (the supplied value, else its default): 400 `<ENV>: <why>`. Unknown node, owner, egg or backup configuration: 400 ``invalid relation `<x>` provided``. `allocation_uuid` (the primary) and `allocation_uuids` must be allocations of the node (400 `all allocations must belong to the node`; the reference does not check) and free (409 `server with allocation(s) or external id already exists`). The rows are committed, then Wings is told (it fetches the server's configuration first); if Wings fails, the server is deleted again and Wings' error is the answer (502 `node <name> is unreachable`, or its 409). `skip_installer`: no install script, status null; else status `installing` until Wings reports.",
      },
    },
  )
}
