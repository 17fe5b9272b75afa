import { Elysia, t } from 'elysia'
import { HttpError, NotFound, uuidParam, type PluginContext } from 'hatchery'
import { getNode } from '../nodes'
import type { ServersApi } from './api'
import { getServer } from './service/admin-servers'

const Lines = (fallback: number) =>
  t.Object({
    lines: t.Optional(
      t.Integer({ minimum: 1, maximum: 100_000, default: fallback, description: `Lines from the end (default ${fallback})` }),
    ),
  })
const text = (body: string) => new Response(body, { headers: { 'content-type': 'text/plain; charset=utf-8' } })
const UNREACHABLE = 'A node that is down, late or answering garbage is 502 `node <name> is unreachable`.'

/** `/api/admin/servers/{server}/logs` and `…/logs/install` (spec 02 §8.13): Wings' text, as `text/plain`. */
export function adminServerLogRoutes(ctx: PluginContext, api: ServersApi) {
  const wingsOf = async (uuid: string) => {
    const server = await getServer(ctx.db, uuid)
    return { server, wings: api.wings(await getNode(ctx.db, server.node_uuid)) }
  }
  return new Elysia({ prefix: '/servers', tags: ['admin servers'] })
    .use(ctx.guard)
    .get(
      '/:server/logs',
      async ({ params, query }) => {
        const { server, wings } = await wingsOf(params.server)
        return text(await wings.serverLogs(server.uuid, query.lines ?? 100))
      },
      {
        permission: 'admin:servers.read',
        params: uuidParam('server'),
        query: Lines(100),
        documents: t.String(),
        detail: { summary: "A server's console log", description: `The last \`lines\` lines, \`text/plain\`. ${UNREACHABLE}` },
      },
    )
    .get(
      '/:server/logs/install',
      async ({ params, query }) => {
        const { server, wings } = await wingsOf(params.server)
        const log = await wings.installLogs(server.uuid, query.lines ?? 1000).catch((error) => {
          throw error instanceof HttpError && error.status === 404 ? new NotFound('no install log found') : error
        })
        return text(log)
      },
      {
        permission: 'admin:servers.read',
        params: uuidParam('server'),
        query: Lines(1000),
        documents: t.String(),
        detail: {
          summary: "A server's install log",
          description: `The last \`lines\` lines, \`text/plain\`; 404 \`no install log found\` when Wings has none. ${UNREACHABLE}`,
        },
      },
    )
}
