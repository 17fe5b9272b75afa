import { Elysia, t } from 'elysia'
import { actorOf, Empty, PageOf, PaginationQuery, pageParams, transaction, uuidParam, type PluginContext } from 'hatchery'
import { CreateMount, DuplicateMount, Mount, MountNestEgg, MountNode, MountServer, UpdateMount } from './model'
import type { MountHooks } from './hooks'
import { createMount, deleteMount, duplicateMount, getMount, listMounts, mountAudit, toAdminMount, updateMount } from './service'

const Params = uuidParam('mount')
const One = t.Object({ mount: Mount })
const READ = 'admin:mounts.read' as const
const PATHS =
  "`source` and `target` must be absolute paths without `.`/`..` segments or control characters and not `/`; the source may not be the panel's data folder, inside it or above it (400 naming the field)."

/** `/api/admin/mounts`: CRUD, duplicate and the lists of linked nodes, eggs and servers (filled by their plugins). */
export function adminMountRoutes(ctx: PluginContext, hooks: MountHooks) {
  return new Elysia({ prefix: '/mounts', tags: ['admin mounts'] })
    .use(ctx.guard)
    .get('', async ({ query }) => ({ mounts: await listMounts(ctx.db, pageParams(query)) }), {
      permission: READ,
      query: PaginationQuery,
      response: { 200: t.Object({ mounts: PageOf(Mount) }) },
      detail: { summary: 'List mounts (search: name)' },
    })
    .post(
      '',
      async ({ principal, body, request }) => {
        const row = await transaction(ctx.db, async (tx) => {
          const row = await createMount(tx, ctx.dataDir, body)
          await ctx.activity.admin(tx, actorOf(principal, request), 'mount:create', mountAudit(row))
          return row
        })
        return { mount: toAdminMount(row) }
      },
      {
        permission: 'admin:mounts.create',
        body: CreateMount,
        response: { 200: One },
        detail: {
          summary: 'Create a mount',
          description: `A taken name or source/target pair is a 409 \`mount with name/source/target already exists\`. ${PATHS}`,
        },
      },
    )
    .get('/:mount', async ({ params }) => ({ mount: toAdminMount(await getMount(ctx.db, params.mount)) }), {
      permission: READ,
      params: Params,
      response: { 200: One },
      detail: { summary: 'Get a mount' },
    })
    .patch(
      '/:mount',
      async ({ principal, params, body, request }) => {
        await transaction(ctx.db, async (tx) => {
          const row = await updateMount(tx, ctx.dataDir, params.mount, body)
          await ctx.activity.admin(tx, actorOf(principal, request), 'mount:update', mountAudit(row))
        })
        return {}
      },
      {
        permission: [READ, 'admin:mounts.update'],
        params: Params,
        body: UpdateMount,
        response: { 200: Empty },
        detail: { summary: 'Update a mount', description: `Absent fields stay; null clears \`description\`. ${PATHS}` },
      },
    )
    .delete(
      '/:mount',
      async ({ principal, params, request }) => {
        await transaction(ctx.db, async (tx) => {
          const row = await deleteMount(tx, params.mount, hooks.deletionGuards)
          await ctx.activity.admin(tx, actorOf(principal, request), 'mount:delete', { uuid: row.uuid, name: row.name })
        })
        return {}
      },
      {
        permission: [READ, 'admin:mounts.delete'],
        params: Params,
        response: { 200: Empty },
        detail: { summary: 'Delete a mount', description: 'No usage check: node, egg and server links go with it.' },
      },
    )
    .post(
      '/:mount/duplicate',
      async ({ principal, params, body, request }) => {
        const copy = await transaction(ctx.db, async (tx) => {
          const { source, copy } = await duplicateMount(tx, ctx.dataDir, params.mount, body)
          await ctx.activity.admin(tx, actorOf(principal, request), 'mount:duplicate', {
            source_uuid: source.uuid,
            source_name: source.name,
            uuid: copy.uuid,
            name: copy.name,
          })
          return copy
        })
        return { mount: toAdminMount(copy) }
      },
      {
        permission: [READ, 'admin:mounts.create'],
        params: Params,
        body: DuplicateMount,
        response: { 200: One },
        detail: {
          summary: 'Copy a mount under a new name, source and target',
          description: `Copies the description, \`read_only\` and \`user_mountable\`. 409 \`mount with name, source or target already exists\`. ${PATHS}`,
        },
      },
    )
    .get(
      '/:mount/nest-eggs',
      async ({ params, query }) => {
        const row = await getMount(ctx.db, params.mount)
        return { nest_egg_mounts: await hooks.lists.list('nest-eggs', ctx.db, row.uuid, pageParams(query)) } as never
      },
      {
        permission: [READ, 'admin:eggs.read'],
        params: Params,
        query: PaginationQuery,
        response: { 200: t.Object({ nest_egg_mounts: PageOf(hooks.lists.model('nest-eggs', MountNestEgg)) }) },
        detail: {
          summary: 'The eggs a mount is linked to (search: egg name)',
          description: 'An empty page until the nests plugin provides it.',
        },
      },
    )
    .get(
      '/:mount/nodes',
      async ({ params, query }) => {
        const row = await getMount(ctx.db, params.mount)
        return { node_mounts: await hooks.lists.list('nodes', ctx.db, row.uuid, pageParams(query)) } as never
      },
      {
        permission: [READ, 'admin:nodes.read'],
        params: Params,
        query: PaginationQuery,
        response: { 200: t.Object({ node_mounts: PageOf(hooks.lists.model('nodes', MountNode)) }) },
        detail: {
          summary: 'The nodes a mount is linked to (search: node name)',
          description: 'An empty page until the nodes plugin provides it.',
        },
      },
    )
    .get(
      '/:mount/servers',
      async ({ params, query }) => {
        const row = await getMount(ctx.db, params.mount)
        return { server_mounts: await hooks.lists.list('servers', ctx.db, row.uuid, pageParams(query)) } as never
      },
      {
        permission: [READ, 'admin:servers.read'],
        params: Params,
        query: PaginationQuery,
        response: { 200: t.Object({ server_mounts: PageOf(hooks.lists.model('servers', MountServer)) }) },
        detail: {
          summary: 'The servers a mount is attached to (search: server name)',
          description: 'An empty page until the servers plugin provides it.',
        },
      },
    )
}
