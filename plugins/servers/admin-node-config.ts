import { inArray } from 'drizzle-orm'
import { Elysia, t } from 'elysia'
import { actorOf, hasAdminPermission, transaction, uuidParam, type Actor, type PluginContext } from 'hatchery'
import { getNode, tables as nodeTables, type NodeRow } from '../nodes'
import type { ServersApi } from './api'
import { redactConfig } from './service/node-config'
import { ConfigApplied, WingsConfig } from './wings/model'

const Params = uuidParam('node')
const Patch = t.Record(t.String(), t.Unknown(), { description: 'Any part of the Wings configuration' })
const BulkPatch = t.Object({ node_uuids: t.Array(t.String({ format: 'uuid' }), { maxItems: 1000 }), config: Patch })
const UPDATE = 'admin:nodes.update' as const
const STRIPPED =
  'Paths the panel never changes (spec 02 §6.8 c: `uuid`, `token`, `remote`, the directories, `api.host`/`port`/`ssl`, …) are removed first.'
const BULK_CONCURRENCY = 5

/** `/api/admin/nodes/{node}/config` and `/api/admin/nodes/config` (spec 02 §6.8 b–d): the live Wings configuration. */
export function adminNodeConfigRoutes(ctx: PluginContext, api: ServersApi) {
  const audit = (actor: Actor, node: NodeRow, config: Record<string, unknown>) =>
    transaction(ctx.db, (tx) => ctx.activity.admin(tx, actor, 'node:update-config', { uuid: node.uuid, config }))

  return new Elysia({ prefix: '/nodes', tags: ['admin nodes'] })
    .use(ctx.guard)
    .get(
      '/:node/config',
      async ({ params, principal }) => {
        const config = await api.nodeConfig(await getNode(ctx.db, params.node))
        return { config: hasAdminPermission(principal, 'nodes.read-token') ? config : redactConfig(config) }
      },
      {
        permission: 'admin:nodes.read',
        params: Params,
        response: { 200: t.Object({ config: WingsConfig }) },
        detail: {
          summary: "A node's live Wings configuration",
          description:
            "Wings' `GET /api/system/config`, cached 120 s. `token_id` and `token` read `redacted` without `nodes.read-token`. A node that is down, late or answering garbage is 502 `node <name> is unreachable`.",
        },
      },
    )
    .patch(
      '/:node/config',
      async ({ params, body, principal, request }) => {
        const node = await getNode(ctx.db, params.node)
        // Wings first, the activity after: no transaction is held open across a node call.
        const { applied, config } = await api.updateNodeConfig(node, body)
        await audit(actorOf(principal, request), node, config)
        return { applied }
      },
      {
        permission: [UPDATE],
        params: Params,
        body: Patch,
        response: { 200: ConfigApplied },
        detail: {
          summary: "Change a node's Wings configuration",
          description: `${STRIPPED} \`applied\` is false when Wings ignores panel updates. Logged as \`node:update-config\` either way. A node that cannot be reached is 502.`,
        },
      },
    )
    .patch(
      '/config',
      async ({ body, principal, request }) => {
        const nodes = await ctx.db.select().from(nodeTables.nodes).where(inArray(nodeTables.nodes.uuid, body.node_uuids))
        const actor = actorOf(principal, request)
        let applied = 0
        const queue = [...nodes]
        const worker = async () => {
          for (let node = queue.shift(); node; node = queue.shift()) {
            const result = await api.updateNodeConfig(node, body.config).catch(() => null)
            if (!result?.applied) continue
            applied++
            await audit(actor, node, result.config)
          }
        }
        await Promise.all(Array.from({ length: BULK_CONCURRENCY }, worker))
        return { applied }
      },
      {
        permission: [UPDATE],
        body: BulkPatch,
        response: { 200: t.Object({ applied: t.Integer() }) },
        detail: {
          summary: 'Change the Wings configuration of several nodes',
          description: `${STRIPPED} Five nodes at a time; unknown nodes and nodes that fail or ignore panel updates are not counted. Each applied node is logged as \`node:update-config\`.`,
        },
      },
    )
}
