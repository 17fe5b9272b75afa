import { Elysia, t } from 'elysia'
import { uuidParam, type PluginContext } from 'hatchery'
import { getNode } from '../nodes'
import type { ServersApi } from './api'
import { SystemLogs, SystemOverview, SystemStats } from './wings/model'

const Params = uuidParam('node')
const LogParams = t.Object({ ...Params.properties, file: t.String({ minLength: 1 }) })
const LogQuery = t.Object({ lines: t.Optional(t.Integer({ minimum: 1, default: 1000, description: 'Lines from the end (default 1000)' })) })
const READ = 'admin:nodes.read' as const
const UNREACHABLE = 'A node that is down, late (15 s) or answering garbage is 502 `node <name> is unreachable`.'

/** `/api/admin/nodes/{node}/system/*` (spec 02 §6.12): Wings' own answers, passed through. */
export function adminNodeSystemRoutes(ctx: PluginContext, api: ServersApi) {
  const wingsOf = async (node: string) => api.wings(await getNode(ctx.db, node))
  return new Elysia({ prefix: '/nodes', tags: ['admin nodes'] })
    .use(ctx.guard)
    .get('/:node/system/overview', async ({ params }) => (await wingsOf(params.node)).systemOverview(), {
      permission: READ,
      params: Params,
      response: { 200: SystemOverview },
      detail: {
        summary: "A node's system overview (from Wings)",
        description: `Wings' \`GET /api/system/overview\` as it answers. ${UNREACHABLE}`,
      },
    })
    .get('/:node/system/stats', async ({ params }) => (await wingsOf(params.node)).systemStats(), {
      permission: READ,
      params: Params,
      response: { 200: SystemStats },
      detail: { summary: "A node's resource statistics (from Wings)", description: `Wings' \`GET /api/system/stats\`. ${UNREACHABLE}` },
    })
    .get('/:node/system/logs', async ({ params }) => (await wingsOf(params.node)).systemLogs(), {
      permission: READ,
      params: Params,
      response: { 200: SystemLogs },
      detail: { summary: "A node's Wings log files", description: `Wings' \`GET /api/system/logs\`. ${UNREACHABLE}` },
    })
    .get(
      '/:node/system/logs/:file',
      async ({ params, query }) => {
        const text = await (await wingsOf(params.node)).systemLog(params.file, query.lines ?? 1000)
        return new Response(text, { headers: { 'content-type': 'text/plain; charset=utf-8' } })
      },
      {
        permission: READ,
        params: LogParams,
        query: LogQuery,
        documents: t.String(),
        detail: {
          summary: 'The end of one Wings log file',
          description: `\`text/plain\`, the last \`lines\` lines. Wings' 404 (no such file) is answered as 404 with its message. ${UNREACHABLE}`,
        },
      },
    )
}
