import { t } from 'elysia'
import { Empty, PageOf, PaginationQuery, pageParams, transaction, type PluginContext } from 'hatchery'
import { serverActivity, type ServersApi } from '../servers'
import { AttachMount, ClientServerMount } from './model'
import { attachMount, detachMount, listUsableMounts, syncInBackground, toClientMount } from './service'

const TAG = { tags: ['client servers'] }

/** `/api/client/servers/{server}/mounts` (spec 03 §5.5): the user-mountable mounts of the server's node and egg. */
export function clientMountRoutes(ctx: PluginContext, api: ServersApi) {
  return ctx
    .scope('client:server')
    .get(
      '/mounts',
      async ({ resource, query }) => ({ mounts: await listUsableMounts(ctx.db, resource, 'client', pageParams(query), toClientMount) }),
      {
        permission: 'server:mounts.read',
        query: PaginationQuery,
        response: { 200: t.Object({ mounts: PageOf(ClientServerMount) }) },
        detail: {
          ...TAG,
          summary: 'The mounts this server may use',
          description:
            "Every `user_mountable` mount linked to both the server's node and its egg, attached or not (`created` is the attach time, null when not attached), oldest mount first; `search` matches the name.",
        },
      },
    )
    .post(
      '/mounts',
      async ({ principal, request, resource: server, access, body }) => {
        await transaction(ctx.db, async (tx) => {
          await attachMount(tx, server, body.mount_uuid, 'client')
          await serverActivity(ctx, tx, { principal, request, server, access }, 'server:mounts.attach', { mount_uuid: body.mount_uuid })
        })
        void syncInBackground(ctx, api, server.uuid)
        return {}
      },
      {
        permission: 'server:mounts.attach',
        body: AttachMount,
        response: { 200: Empty },
        detail: {
          ...TAG,
          summary: 'Attach a mount',
          description:
            "The mount must be `user_mountable` and linked to the server's node and egg, else 404 `mount not found`; attached already: 409 `mount already exists`. The configuration is pushed to the node in the background. Logged `server:mounts.attach`.",
        },
      },
    )
    .delete(
      '/mounts/:mount',
      async ({ principal, request, resource: server, access, params }) => {
        await transaction(ctx.db, async (tx) => {
          const mount_uuid = await detachMount(tx, server, params.mount, 'client')
          await serverActivity(ctx, tx, { principal, request, server, access }, 'server:mounts.detach', { mount_uuid })
        })
        void syncInBackground(ctx, api, server.uuid)
        return {}
      },
      {
        permission: 'server:mounts.detach',
        params: t.Object({ server: t.String(), mount: t.String() }),
        response: { 200: Empty },
        detail: {
          ...TAG,
          summary: 'Detach a mount',
          description:
            '400 `invalid mount uuid`; not attached, or not `user_mountable`: 404 `mount not found`. The configuration is pushed to the node in the background. Logged `server:mounts.detach`.',
        },
      },
    )
}
