import { Elysia, t } from 'elysia'
import { actorOf, Empty, uuidParam, type PluginContext } from 'hatchery'
import type { ServersApi } from './api'
import { AdminServer, CreateServer, DeleteServer } from './model'
import { adminServer } from './service/admin-servers'
import { createServer } from './service/create'
import { deleteServer } from './service/delete'

/** `POST /api/admin/servers` (spec 02 §8.2) and `DELETE /api/admin/servers/{server}` (§8.6): a server's life on its node. */
export function adminServerCreateRoutes(ctx: PluginContext, api: ServersApi) {
  return new Elysia({ tags: ['admin servers'] })
    .use(ctx.guard)
    .post(
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
    .delete(
      '/servers/:server',
      async ({ params, body, principal, request }) => {
        await deleteServer(ctx, api, actorOf(principal, request), params.server, body.force ?? false)
        return {}
      },
      {
        permission: 'admin:servers.delete',
        params: uuidParam('server'),
        body: DeleteServer,
        response: { 200: Empty },
        detail: {
          summary: 'Delete a server',
          description:
            "Wings deletes it first (a node that no longer knows it counts as done). If Wings fails the server stays and Wings' error is the answer (502 `node <name> is unreachable`, or its own 409/417), unless `force`: then the row goes anyway. Its allocations are freed. Logged as `server:delete`.",
        },
      },
    )
}
