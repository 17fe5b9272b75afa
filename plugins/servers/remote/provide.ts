import { and, eq, or } from 'drizzle-orm'
import { BadRequest, NotFound, type PluginContext } from 'hatchery'
import type { NodeRow } from '../../nodes'
import type { ServerRow } from '../service/admin-servers'
import { NodeAuthenticator } from '../service/remote-auth'
import { provideServerActivityLog } from '../service/server-activity'
import { servers } from '../tables'

declare module 'hatchery' {
  /** A caller of `/api/remote`: the Wings node its token belongs to. */
  interface RemotePrincipal {
    node: NodeRow
  }
  interface Scopes {
    /** `/api/remote/servers/{server}`: a server on the calling node, or on its way to it (`destination`). */
    'remote:server': { resource: ServerRow; access: { node: NodeRow; destination: boolean } }
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/**
 * What the servers plugin fills for Wings, in `setup`: the remote authenticate slot (node tokens,
 * spec 04 §3.1), the `remote:server` scope (the node must run the server or be its transfer
 * destination: else 404 `server not found`; a malformed id is 400 `invalid server id`), and the
 * kernel's `server` activity log.
 */
export function provideRemote(ctx: PluginContext): NodeAuthenticator {
  const nodes = new NodeAuthenticator(ctx.db, ctx.secrets, ctx.log)
  ctx.kernel.provideRemoteAuthenticator(
    async ({ request }) => ({ node: await nodes.authenticate(request.headers.get('authorization')) }),
    ctx.plugin,
  )
  ctx.events.on('nodes.token-reset', ({ node }) => nodes.forget(node as string))
  ctx.kernel.provideScope(
    'remote:server',
    {
      path: '/servers/:server',
      async resolve({ params, principal }) {
        if (!UUID.test(params.server)) throw new BadRequest('invalid server id')
        const node = principal.node.uuid
        const [server] = await ctx.db
          .select()
          .from(servers)
          .where(
            and(eq(servers.uuid, params.server.toLowerCase()), or(eq(servers.node_uuid, node), eq(servers.destination_node_uuid, node))),
          )
          .limit(1)
        if (!server) throw new NotFound('server not found')
        return { resource: server, access: { node: principal.node, destination: server.destination_node_uuid === node } }
      },
    },
    ctx.plugin,
  )
  provideServerActivityLog(ctx)
  return nodes
}
