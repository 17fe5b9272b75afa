import { Elysia, t } from 'elysia'
import { actorOf, Empty, PageOf, PaginationQuery, pageParams, transaction, uuidParam, type PluginContext } from 'hatchery'
import { toAdminMount } from '../mounts'
import { getServer, type ServersApi } from '../servers'
import { AdminServerMount, AttachMount } from './model'
import { attachMount, detachMount, listAttachedMounts, listUsableMounts, syncInBackground } from './service'

const MOUNTS = 'admin:servers.mounts' as const
const Params = uuidParam('server')
const List = { 200: t.Object({ mounts: PageOf(AdminServerMount) }) }

/** `/api/admin/servers/{server}/mounts` (spec 02 §8.11): any mount linked to the server's node and egg. */
export function adminServerMountRoutes(ctx: PluginContext, api: ServersApi) {
  return new Elysia({ tags: ['admin servers'] })
    .use(ctx.guard)
    .get(
      '/servers/:server/mounts',
      async ({ params, query }) => {
        const server = await getServer(ctx.db, params.server)
        return { mounts: await listAttachedMounts(ctx.db, server.uuid, pageParams(query)) }
      },
      {
        permission: MOUNTS,
        params: Params,
        query: PaginationQuery,
        response: List,
        detail: { summary: "A server's attached mounts", description: 'By attach time; `search` matches the mount name.' },
      },
    )
    .get(
      '/servers/:server/mounts/available',
      async ({ params, query }) => {
        const server = await getServer(ctx.db, params.server)
        const page = await listUsableMounts(ctx.db, server, 'admin', pageParams(query), (m, created) => ({
          mount: toAdminMount(m),
          created,
        }))
        return { mounts: page }
      },
      {
        permission: MOUNTS,
        params: Params,
        query: PaginationQuery,
        response: List,
        detail: {
          summary: 'The mounts a server may use',
          description:
            "Every mount linked to both the server's node and its egg (`created` non-null when attached), oldest mount first; `search` matches the name.",
        },
      },
    )
    .post(
      '/servers/:server/mounts',
      async ({ params, body, principal, request }) => {
        const server = await getServer(ctx.db, params.server)
        await transaction(ctx.db, async (tx) => {
          const mount = await attachMount(tx, server, body.mount_uuid, 'admin')
          await ctx.activity.admin(tx, actorOf(principal, request), 'server:mount.create', {
            server_uuid: server.uuid,
            mount_uuid: mount.uuid,
          })
        })
        void syncInBackground(ctx, api, server.uuid)
        return {}
      },
      {
        permission: MOUNTS,
        params: Params,
        body: AttachMount,
        response: { 200: Empty },
        detail: {
          summary: 'Attach a mount to a server',
          description:
            "The mount must be linked to the server's node and egg, else 404 `mount not found`; attached already: 409 `mount already exists`. The configuration is pushed to the node in the background. Logged `server:mount.create`.",
        },
      },
    )
    .delete(
      '/servers/:server/mounts/:mount',
      async ({ params, principal, request }) => {
        const server = await getServer(ctx.db, params.server)
        await transaction(ctx.db, async (tx) => {
          const mount_uuid = await detachMount(tx, server, params.mount, 'admin')
          await ctx.activity.admin(tx, actorOf(principal, request), 'server:mount.delete', { server_uuid: server.uuid, mount_uuid })
        })
        void syncInBackground(ctx, api, server.uuid)
        return {}
      },
      {
        permission: MOUNTS,
        params: t.Object({ ...Params.properties, mount: t.String() }),
        response: { 200: Empty },
        detail: {
          summary: 'Detach a mount from a server',
          description:
            '404 `mount not found` when it is not attached. The configuration is pushed in the background. Logged `server:mount.delete`.',
        },
      },
    )
}
