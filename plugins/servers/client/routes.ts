import { Elysia, t } from 'elysia'
import { PageOf, pageParams, type PluginContext } from 'hatchery'
import { ClientServer, ServersQuery } from './model'
import { listClientServers, toClientServers } from './servers'

/** `GET /api/client/servers` (spec 03 §1.6). */
export function clientServerListRoutes(ctx: PluginContext) {
  return new Elysia({ tags: ['client servers'] })
    .use(ctx.guard)
    .get(
      '/servers',
      async ({ principal, query }) => ({ servers: await listClientServers(ctx.db, principal, pageParams(query), query.other ?? false) }),
      {
        permission: 'user:servers.read',
        query: ServersQuery,
        response: { 200: t.Object({ servers: PageOf(ClientServer) }) },
        detail: {
          summary: 'List your servers',
          description:
            'The servers you own or are a subuser of, oldest first; `search` matches the name or the owner username or email. With `other=true` and the admin permission `servers.read`: the servers you neither own nor are a subuser of (without the permission, `other` is ignored).',
        },
      },
    )
}

/** Routes under the `client:server` scope: `GET /api/client/servers/{server}` (spec 03 §1.7). */
export function clientServerRoutes(ctx: PluginContext) {
  return ctx.scope('client:server').get(
    '',
    async ({ principal, resource: server, access }) => ({
      server: (await toClientServers(ctx.db, principal, [server], () => access))[0],
    }),
    {
      authenticated: true,
      scope: { stateGate: false },
      response: { 200: t.Object({ server: ClientServer }) },
      detail: {
        tags: ['client servers'],
        summary: 'A server',
        description:
          'By uuid or 8-hex short id; 404 `server not found` unless you own it, are its subuser, or read every server (admin `servers.read`). Answers for a suspended, installing or transferring server too.',
      },
    },
  )
}
