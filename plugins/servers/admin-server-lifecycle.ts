import { Elysia, t } from 'elysia'
import { actorOf, Empty, uuidParam, type PluginContext } from 'hatchery'
import type { ServersApi } from './api'
import { AdminServer, CreateServer, DeleteServer, UpdateServer } from './model'
import { adminServer } from './service/admin-servers'
import { createServer } from './service/create'
import { deleteServer } from './service/delete'
import { updateServer } from './service/update'

/** `POST /api/admin/servers` (spec 02 §8.2), `PATCH` (§8.5) and `DELETE /api/admin/servers/{server}` (§8.6): a server's life on its node. */
export function adminServerLifecycleRoutes(ctx: PluginContext, api: ServersApi) {
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
    .patch(
      '/servers/:server',
      async ({ params, body, principal, request }) => {
        await updateServer(ctx, api, actorOf(principal, request), params.server, body)
        return {}
      },
      {
        permission: 'admin:servers.update',
        params: uuidParam('server'),
        body: UpdateServer,
        response: { 200: Empty },
        detail: {
          summary: 'Change a server, suspend or unsuspend it',
          description:
            "Absent fields stay; null clears `backup_configuration_uuid`, `external_id`, `description`, `timezone`. `limits` and `feature_limits` replace all their values (`io_weight` absent = null). Unknown owner, egg or backup configuration: 400 ``invalid relation `<x>` provided``; `auto_kill.seconds` outside 1–3600: 400 `auto kill seconds must be between 1 and 3600`. The egg's variables are not migrated. Afterwards the configuration is pushed to Wings without waiting (a suspended server is stopped there); a failed push is only logged. Logged as `server:update` (without `suspended`).",
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
