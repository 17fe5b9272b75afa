import { Elysia, t } from 'elysia'
import type { AccountApi } from '.'
import { PageOf, PaginationQuery, pageParams, type PluginContext, actorOf } from 'hatchery'
import { Empty, GroupName, GroupOrder, ServerGroup, ServerOrder, Uuid } from './model'
import {
  createServerGroup,
  deleteServerGroup,
  getServerGroup,
  listServerGroups,
  reorderServerGroups,
  toServerGroup,
  updateServerGroup,
} from './service/server-groups'

/** `/api/client/servers/groups`: the account's own grouping of servers on the dashboard. */
export function serverGroupRoutes(ctx: PluginContext, api: AccountApi) {
  const Params = t.Object({ server_group: Uuid })
  return (
    new Elysia({ prefix: '/servers/groups', tags: ['server groups'] })
      .use(ctx.guard)
      .get('', async ({ principal }) => ({ server_groups: (await listServerGroups(ctx.db, principal.user.uuid)).map(toServerGroup) }), {
        permission: 'user:servers.read',
        response: { 200: t.Object({ server_groups: t.Array(ServerGroup) }) },
        detail: { summary: 'List server groups (not paginated; by order, then creation)' },
      })
      .post(
        '',
        async ({ principal, body, request }) => {
          const max = await ctx.settings.get('user.max_server_group_count')
          return { server_group: toServerGroup(await createServerGroup(ctx.db, ctx.activity, actorOf(principal, request), body, max)) }
        },
        {
          permission: 'user:servers.create',
          body: t.Object({ name: GroupName, server_order: ServerOrder }),
          response: { 200: t.Object({ server_group: ServerGroup }) },
          detail: {
            summary: 'Create a server group',
            description: 'Limited by `user.max_server_group_count` (417). Names need not be unique; `order` starts at 0.',
          },
        },
      )
      .put(
        '/order',
        async ({ principal, body, request }) => {
          await reorderServerGroups(ctx.db, ctx.activity, actorOf(principal, request), body.server_group_order)
          return {}
        },
        {
          permission: 'user:servers.update',
          body: t.Object({ server_group_order: GroupOrder }),
          response: { 200: Empty },
          detail: {
            summary: 'Reorder server groups',
            description: "Each listed group's `order` becomes its 1-based position; unlisted groups and unknown UUIDs are left alone.",
          },
        },
      )
      // The servers of a group. There is no servers plugin yet, so after checking that the group
      // is the caller's this answers an empty page whose total (0) is the truth, not a placeholder.
      .get(
        '/:server_group',
        async ({ principal, params, query }) => {
          const group = await getServerGroup(ctx.db, principal.user.uuid, params.server_group)
          const page = pageParams(query)
          const list = api.groupServers
          return {
            servers: list
              ? await list(ctx.db, principal, page, group.server_order)
              : { total: 0, per_page: page.perPage, page: page.page, data: [] },
          }
        },
        {
          permission: 'user:servers.read',
          params: Params,
          query: PaginationQuery,
          response: { 200: t.Object({ servers: PageOf(t.Any({ description: 'Server (servers spec)' })) }) },
          detail: {
            summary: "The servers of a group the caller can access, in the group's order",
            description:
              'The servers of `server_order` the caller can reach (owner, subuser, or a reader of every server), in that order, then by creation; `search` matches the server name or the owner. 404 `server group not found`. The servers plugin provides the list (an empty page without it).',
          },
        },
      )
      .patch(
        '/:server_group',
        async ({ principal, params, body, request }) => {
          await updateServerGroup(ctx.db, ctx.activity, actorOf(principal, request), params.server_group, body)
          return {}
        },
        {
          permission: 'user:servers.update',
          params: Params,
          body: t.Object({ name: t.Optional(GroupName), server_order: t.Optional(ServerOrder) }),
          response: { 200: Empty },
          detail: { summary: 'Rename a server group or change its servers', description: 'Absent fields stay.' },
        },
      )
      .delete(
        '/:server_group',
        async ({ principal, params, request }) => {
          await deleteServerGroup(ctx.db, ctx.activity, actorOf(principal, request), params.server_group)
          return {}
        },
        { permission: 'user:servers.delete', params: Params, response: { 200: Empty }, detail: { summary: 'Delete a server group' } },
      )
  )
}
