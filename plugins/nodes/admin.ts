import { Elysia, t } from 'elysia'
import { actorOf, Empty, PageOf, PaginationQuery, pageParams, transaction, uuidParam, type PluginContext } from 'hatchery'
import { CreateNode, DuplicateNode, Node, UpdateNode } from './model'
import { adminNode, createNode, deleteNode, duplicateNode, getNode, listNodes, nodeAudit, updateNode } from './service/nodes'
import type { NodeHooks } from './hooks'
import { adminNodeTokenRoutes } from './admin-token'
import { adminNodeLinkRoutes } from './admin-links'

const Params = uuidParam('node')
const One = t.Object({ node: Node })
const READ = 'admin:nodes.read' as const
const FIELDS =
  '`url` and `public_url` must be http(s) URLs (answered normalised); an unknown `location_uuid` is 400 ``invalid relation `location` provided``, an unknown `backup_configuration_uuid` ``invalid relation `backup_configuration` provided``; a taken name is 409 `node with name already exists`.'

/** Everything the nodes plugin mounts under `/api/admin`. */
export function adminRoutes(ctx: PluginContext, hooks: NodeHooks) {
  return new Elysia().use(adminNodeRoutes(ctx, hooks)).use(adminNodeTokenRoutes(ctx, hooks)).use(adminNodeLinkRoutes(ctx))
}

/** `/api/admin/nodes`: CRUD and duplicate. */
function adminNodeRoutes(ctx: PluginContext, hooks: NodeHooks) {
  return new Elysia({ prefix: '/nodes', tags: ['admin nodes'] })
    .use(ctx.guard)
    .get('', async ({ query }) => ({ nodes: await listNodes(ctx.db, ctx.secrets, pageParams(query)) }), {
      permission: READ,
      query: PaginationQuery,
      response: { 200: t.Object({ nodes: PageOf(Node) }) },
      detail: { summary: 'List nodes (search: name)' },
    })
    .post(
      '',
      async ({ principal, body, request }) => {
        const row = await transaction(ctx.db, async (tx) => {
          const { row } = await createNode(tx, ctx.secrets, body)
          await ctx.activity.admin(tx, actorOf(principal, request), 'node:create', nodeAudit(row))
          return row
        })
        return { node: await adminNode(ctx.db, ctx.secrets, row.uuid) }
      },
      {
        permission: 'admin:nodes.create',
        body: CreateNode,
        response: { 200: One },
        detail: {
          summary: 'Create a node',
          description: `A new token pair is generated (read it with \`GET /nodes/{node}/token\` or \`/join\`). ${FIELDS}`,
        },
      },
    )
    .get('/:node', async ({ params }) => ({ node: await adminNode(ctx.db, ctx.secrets, (await getNode(ctx.db, params.node)).uuid) }), {
      permission: READ,
      params: Params,
      response: { 200: One },
      detail: { summary: 'Get a node' },
    })
    .patch(
      '/:node',
      async ({ principal, params, body, request }) => {
        await transaction(ctx.db, async (tx) => {
          const row = await updateNode(tx, params.node, body)
          await ctx.activity.admin(tx, actorOf(principal, request), 'node:update', nodeAudit(row))
        })
        return {}
      },
      {
        permission: [READ, 'admin:nodes.update'],
        params: Params,
        body: UpdateNode,
        response: { 200: Empty },
        detail: {
          summary: 'Update a node',
          description: `Absent fields stay; null clears \`backup_configuration_uuid\`, \`description\`, \`public_url\` or \`sftp_host\`. Nothing is pushed to Wings. ${FIELDS}`,
        },
      },
    )
    .delete(
      '/:node',
      async ({ principal, params, request }) => {
        await transaction(ctx.db, async (tx) => {
          const row = await deleteNode(tx, params.node, hooks.deletionGuards)
          await ctx.activity.admin(tx, actorOf(principal, request), 'node:delete', { uuid: row.uuid, name: row.name })
        })
        return {}
      },
      {
        permission: [READ, 'admin:nodes.delete'],
        params: Params,
        response: { 200: Empty },
        detail: {
          summary: 'Delete a node',
          description:
            'A node with servers (or servers moving to it) is a 409 `node has servers, cannot delete` (the reference answers 400). Allocations and mount and database-host links go with it.',
        },
      },
    )
    .post(
      '/:node/duplicate',
      async ({ principal, params, body, request }) => {
        const copy = await transaction(ctx.db, async (tx) => {
          const { source, copy } = await duplicateNode(tx, ctx.secrets, params.node, body.name, hooks.onDuplicated)
          await ctx.activity.admin(tx, actorOf(principal, request), 'node:duplicate', {
            source_uuid: source.uuid,
            source_name: source.name,
            uuid: copy.uuid,
            name: copy.name,
          })
          return copy
        })
        return { node: await adminNode(ctx.db, ctx.secrets, copy.uuid) }
      },
      {
        permission: [READ, 'admin:nodes.create'],
        params: Params,
        body: DuplicateNode,
        response: { 200: One },
        detail: {
          summary: 'Copy a node under a new name',
          description:
            'Copies every field but the name, with a new token, and the mount and database-host links (not the allocations). 409 `node with name already exists`.',
        },
      },
    )
}
