import { Elysia } from 'elysia'
import { actorOf, transaction, uuidParam, type PluginContext } from 'hatchery'
import { Capacity, JoinDocument, JoinFormat, NodeToken } from './model'
import { getNode, resetToken, revealToken } from './service/nodes'
import { joinDocument } from './service/join'
import type { NodeHooks } from './hooks'

const Params = uuidParam('node')
const READ = 'admin:nodes.read' as const

/** The join document as YAML (the default) or JSON. */
export function renderJoin(doc: ReturnType<typeof joinDocument>, format: 'yaml' | 'json' = 'yaml'): string {
  if (format === 'json') return `${JSON.stringify(doc, null, 2)}\n`
  // Loaded on first use (synchronous `require` in Bun): the yaml library is ~7 MiB resident.
  return (require('yaml') as typeof import('yaml')).stringify(doc)
}

/** `/api/admin/nodes/{node}/…`: the token, its reset, the join document and the capacity. */
export function adminNodeTokenRoutes(ctx: PluginContext, hooks: NodeHooks) {
  return new Elysia({ prefix: '/nodes', tags: ['admin nodes'] })
    .use(ctx.guard)
    .get('/:node/token', async ({ params }) => revealToken(ctx.secrets, await getNode(ctx.db, params.node)), {
      permission: [READ, 'admin:nodes.read-token'],
      params: Params,
      response: { 200: NodeToken },
      detail: { summary: "A node's token pair", description: 'The token decrypted: what Wings authenticates with.' },
    })
    .post(
      '/:node/reset-token',
      async ({ principal, params, request }) =>
        transaction(ctx.db, async (tx) => {
          const { row, token_id, token } = await resetToken(tx, ctx.secrets, params.node)
          await ctx.activity.admin(tx, actorOf(principal, request), 'node:reset-token', { node_uuid: row.uuid })
          return { token_id, token }
        }),
      {
        permission: [READ, 'admin:nodes.reset-token'],
        params: Params,
        response: { 200: NodeToken },
        detail: {
          summary: "Replace a node's token pair",
          description: 'The old token stops working at once; Wings must be given the new one (see `/join`).',
        },
      },
    )
    .get(
      '/:node/join',
      async ({ params, query }) => {
        const node = await getNode(ctx.db, params.node)
        const doc = joinDocument(node, revealToken(ctx.secrets, node), await ctx.settings.get('app.url'))
        if (query.format === 'json') return doc
        return new Response(renderJoin(doc, 'yaml'), { headers: { 'content-type': 'application/yaml' } })
      },
      {
        permission: [READ, 'admin:nodes.read-token'],
        params: Params,
        query: JoinFormat,
        documents: JoinDocument,
        detail: {
          summary: "A node's join document (Hatchery extension)",
          description:
            "Not in the reference (whose frontend builds it): the document `wings configure --join-data` takes, spec 02 §6.8(a): `uuid`, `token_id`, `token`, `api` (`port`: the port of the node's `url`, 8080 when it names none; `disable_openapi_docs: true`; `upload_limit: 0`), `system.sftp.bind_port` (the node's `sftp_port`) and `remote` (the origin of the panel's `app.url`). `format=yaml` (default) answers `application/yaml`; `format=json` answers the object like any route (JSON unless `Accept` asks for MessagePack or XML). It carries the token, hence `nodes.read-token`.",
        },
      },
    )
    .get(
      '/:node/capacity',
      async ({ params }) => {
        const node = await getNode(ctx.db, params.node)
        return { limits: { memory: node.memory, disk: node.disk }, allocated: await hooks.allocated(ctx.db, node) }
      },
      {
        permission: READ,
        params: Params,
        response: { 200: Capacity },
        detail: {
          summary: "A node's limits and what its servers are allocated",
          description: '`allocated` sums the limits of the servers on the node (zeros until the servers plugin provides them).',
        },
      },
    )
}
