import { Elysia, t } from 'elysia'
import { actorOf, transaction, uuidParam, type PluginContext } from 'hatchery'
import { getNode } from '../nodes'
import type { ServersApi } from './api'
import { Affected, PowerAction, ServerSelector, Utilization } from './wings/model'

const Params = uuidParam('node')
const UNREACHABLE = 'A node that is down, late or answering garbage is 502 `node <name> is unreachable`.'

/** `/api/admin/nodes/{node}/servers/resources` and `…/servers/power` (spec 02 §6.11): node-wide, through Wings. */
export function adminNodeServerRoutes(ctx: PluginContext, api: ServersApi) {
  return new Elysia({ prefix: '/nodes', tags: ['admin nodes'] })
    .use(ctx.guard)
    .get('/:node/servers/resources', async ({ params }) => ({ resources: await api.utilization(await getNode(ctx.db, params.node)) }), {
      permission: 'admin:servers.read',
      params: Params,
      response: { 200: t.Object({ resources: Utilization }) },
      detail: {
        summary: "Resource usage of a node's servers",
        description: `Wings' \`GET /api/servers/utilization\` by server uuid, cached 15 s (a power action clears it). ${UNREACHABLE}`,
      },
    })
    .post(
      '/:node/servers/power',
      async ({ params, body, principal, request }) => {
        const node = await getNode(ctx.db, params.node)
        const affected = await api.power(node, body.servers, body.action)
        await transaction(ctx.db, (tx) =>
          ctx.activity.admin(tx, actorOf(principal, request), 'node:servers.power', {
            node_uuid: node.uuid,
            servers: body.servers,
            action: body.action,
          }),
        )
        return { affected }
      },
      {
        permission: 'admin:nodes.power',
        params: Params,
        body: t.Object({ servers: ServerSelector, action: PowerAction }),
        response: { 200: Affected },
        detail: {
          summary: "Start, stop, restart or kill a node's servers",
          description: `\`servers\` is \`{"type":"all"}\` or \`{"type":"uuids","uuids":[…]}\`; \`affected\` counts the servers Wings acted on. Logged as \`node:servers.power\`. ${UNREACHABLE}`,
        },
      },
    )
}
