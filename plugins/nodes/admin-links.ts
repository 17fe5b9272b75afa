import { Elysia, t } from 'elysia'
import { actorOf, Empty, PageOf, PaginationQuery, pageParams, transaction, uuidParam, type PluginContext } from 'hatchery'
import { AddDatabaseHost, AddMount, NodeDatabaseHost, NodeMount } from './model'
import { getNode } from './service/nodes'
import {
  addNodeDatabaseHost,
  addNodeMount,
  listNodeDatabaseHosts,
  listNodeMounts,
  removeNodeDatabaseHost,
  removeNodeMount,
} from './service/links'

const Params = uuidParam('node')
const MountParams = t.Object({ ...Params.properties, ...uuidParam('mount').properties })
const HostParams = t.Object({ ...Params.properties, ...uuidParam('database_host').properties })
const READ = 'admin:nodes.read' as const
const MOUNTS = 'admin:nodes.mounts' as const
const HOSTS = 'admin:nodes.database-hosts' as const

/** `/api/admin/nodes/{node}/mounts` and `/database-hosts` (spec 02 §6.13). */
export function adminNodeLinkRoutes(ctx: PluginContext) {
  return new Elysia({ prefix: '/nodes/:node', tags: ['admin nodes'] })
    .use(ctx.guard)
    .get(
      '/mounts',
      async ({ params, query }) => {
        const node = await getNode(ctx.db, params.node)
        return { mounts: await listNodeMounts(ctx.db, node.uuid, pageParams(query)) }
      },
      {
        permission: [READ, MOUNTS],
        params: Params,
        query: PaginationQuery,
        response: { 200: t.Object({ mounts: PageOf(NodeMount) }) },
        detail: { summary: "A node's mounts (search: mount name)" },
      },
    )
    .post(
      '/mounts',
      async ({ principal, params, body, request }) => {
        await transaction(ctx.db, async (tx) => {
          const node = await getNode(tx, params.node)
          await addNodeMount(tx, node.uuid, body.mount_uuid.toLowerCase())
          const data = { node_uuid: node.uuid, mount_uuid: body.mount_uuid.toLowerCase() }
          await ctx.activity.admin(tx, actorOf(principal, request), 'node:mount.create', data)
        })
        return {}
      },
      {
        permission: [READ, MOUNTS],
        params: Params,
        body: AddMount,
        response: { 200: Empty },
        detail: {
          summary: 'Link a mount to a node',
          description: 'An unknown mount is 400 ``invalid relation `mount` provided``; a linked one 409 `mount already exists`.',
        },
      },
    )
    .delete(
      '/mounts/:mount',
      async ({ principal, params, request }) => {
        await transaction(ctx.db, async (tx) => {
          const node = await getNode(tx, params.node)
          const mount_uuid = await removeNodeMount(tx, node.uuid, params.mount)
          await ctx.activity.admin(tx, actorOf(principal, request), 'node:mount.delete', { node_uuid: node.uuid, mount_uuid })
        })
        return {}
      },
      {
        permission: [READ, MOUNTS],
        params: MountParams,
        response: { 200: Empty },
        detail: { summary: 'Unlink a mount from a node', description: '404 `mount not found` when it is not linked to the node.' },
      },
    )
    .get(
      '/database-hosts',
      async ({ params, query }) => {
        const node = await getNode(ctx.db, params.node)
        return { database_hosts: await listNodeDatabaseHosts(ctx.db, node.uuid, pageParams(query)) }
      },
      {
        permission: [READ, HOSTS],
        params: Params,
        query: PaginationQuery,
        response: { 200: t.Object({ database_hosts: PageOf(NodeDatabaseHost) }) },
        detail: { summary: "A node's database hosts (search: host name; credentials never answered)" },
      },
    )
    .post(
      '/database-hosts',
      async ({ principal, params, body, request }) => {
        await transaction(ctx.db, async (tx) => {
          const node = await getNode(tx, params.node)
          const database_host_uuid = body.database_host_uuid.toLowerCase()
          await addNodeDatabaseHost(tx, node.uuid, database_host_uuid)
          await ctx.activity.admin(tx, actorOf(principal, request), 'node:database-host.create', {
            node_uuid: node.uuid,
            database_host_uuid,
          })
        })
        return {}
      },
      {
        permission: [READ, HOSTS],
        params: Params,
        body: AddDatabaseHost,
        response: { 200: Empty },
        detail: {
          summary: 'Link a database host to a node',
          description:
            'An unknown host is 400 ``invalid relation `database_host` provided``; a linked one 409 `database host already exists on this node`.',
        },
      },
    )
    .delete(
      '/database-hosts/:database_host',
      async ({ principal, params, request }) => {
        await transaction(ctx.db, async (tx) => {
          const node = await getNode(tx, params.node)
          const database_host_uuid = await removeNodeDatabaseHost(tx, node.uuid, params.database_host)
          await ctx.activity.admin(tx, actorOf(principal, request), 'node:database-host.delete', {
            node_uuid: node.uuid,
            database_host_uuid,
          })
        })
        return {}
      },
      {
        permission: [READ, HOSTS],
        params: HostParams,
        response: { 200: Empty },
        detail: {
          summary: 'Unlink a database host from a node',
          description: '404 `database host not found` when it is not linked to the node.',
        },
      },
    )
}
