import { Elysia, t } from 'elysia'
import { PageOf, PaginationQuery, pageParams, transaction, uuidParam, type PluginContext, actorOf } from 'hatchery'
import { AdminUser, Empty, Role } from './model'
import type { UsersApi } from './api'
import { privilegesOf } from './service/privileges'
import { listAdminUsers } from './service/admin-users'
import { createRole, deleteRole, duplicateRole, listRoles, roleAudit, roleParam, updateRole } from './service/roles'

const Name = t.String({ minLength: 1, maxLength: 255 })
const Description = t.Nullable(t.String({ minLength: 1, maxLength: 1024 }))
const Permissions = t.Array(t.String({ maxLength: 64 }), { maxItems: 500 })
const Params = uuidParam('role')

const SELF =
  'A caller without the admin flag (or whose API key is narrowed) can only create, change, duplicate or delete roles whose permissions they hold themselves: 403 `permissions: more permissions than self`.'

/** `/api/admin/roles`: list, create, read, update, delete, duplicate, and a role's users. */
export function adminRoleRoutes(ctx: PluginContext, api: UsersApi) {
  return new Elysia({ prefix: '/roles', tags: ['admin roles'] })
    .use(ctx.guard)
    .get('', async ({ query }) => ({ roles: await listRoles(ctx.db, pageParams(query)) }), {
      permission: 'admin:roles.read',
      query: PaginationQuery,
      response: { 200: t.Object({ roles: PageOf(Role) }) },
      detail: { summary: 'List roles (search: name)' },
    })
    .post(
      '',
      async ({ principal, body, request }) => {
        const caller = privilegesOf(principal, ctx.permissions)
        const role = await transaction(ctx.db, async (tx) => {
          const role = await createRole(tx, ctx.permissions, caller, body)
          await ctx.activity.admin(tx, actorOf(principal, request), 'role:create', roleAudit(role))
          return role
        })
        return { role }
      },
      {
        permission: 'admin:roles.create',
        body: t.Object({
          name: Name,
          description: t.Optional(Description),
          require_two_factor: t.Boolean(),
          admin_permissions: Permissions,
          server_permissions: Permissions,
        }),
        response: { 200: t.Object({ role: Role }) },
        detail: { summary: 'Create a role', description: `Permissions must be in the catalogs (400); a taken name is a 409. ${SELF}` },
      },
    )
    .get('/:role', async ({ params }) => ({ role: await roleParam(ctx.db, params.role) }), {
      permission: 'admin:roles.read',
      params: Params,
      response: { 200: t.Object({ role: Role }) },
      detail: { summary: 'Get a role' },
    })
    .patch(
      '/:role',
      async ({ principal, params, body, request }) => {
        const caller = privilegesOf(principal, ctx.permissions)
        await transaction(ctx.db, async (tx) => {
          const role = await updateRole(tx, ctx.permissions, caller, params.role, body)
          await ctx.activity.admin(tx, actorOf(principal, request), 'role:update', roleAudit(role))
        })
        return {}
      },
      {
        permission: ['admin:roles.read', 'admin:roles.update'],
        params: Params,
        body: t.Object({
          name: t.Optional(Name),
          description: t.Optional(Description),
          require_two_factor: t.Optional(t.Boolean()),
          admin_permissions: t.Optional(Permissions),
          server_permissions: t.Optional(Permissions),
        }),
        response: { 200: Empty },
        detail: {
          summary: 'Update a role',
          description: `Absent fields stay; lists replace wholesale; \`description: null\` clears it. ${SELF}`,
        },
      },
    )
    .delete(
      '/:role',
      async ({ principal, params, request }) => {
        const caller = privilegesOf(principal, ctx.permissions)
        await transaction(ctx.db, async (tx) => {
          const role = await deleteRole(tx, caller, params.role)
          await ctx.activity.admin(tx, actorOf(principal, request), 'role:delete', { uuid: role.uuid, name: role.name })
        })
        return {}
      },
      {
        permission: ['admin:roles.read', 'admin:roles.delete'],
        params: Params,
        response: { 200: Empty },
        detail: { summary: 'Delete a role', description: `Its users are left without a role. ${SELF}` },
      },
    )
    .post(
      '/:role/duplicate',
      async ({ principal, params, body, request }) => {
        const caller = privilegesOf(principal, ctx.permissions)
        const role = await transaction(ctx.db, async (tx) => {
          const { source, role } = await duplicateRole(tx, caller, params.role, body.name)
          await ctx.activity.admin(tx, actorOf(principal, request), 'role:duplicate', {
            source_uuid: source.uuid,
            source_name: source.name,
            uuid: role.uuid,
            name: role.name,
          })
          return role
        })
        return { role }
      },
      {
        permission: ['admin:roles.read', 'admin:roles.create'],
        params: Params,
        body: t.Object({ name: Name }),
        response: { 200: t.Object({ role: Role }) },
        detail: { summary: 'Copy a role under a new name', description: SELF },
      },
    )
    .get(
      '/:role/users',
      async ({ params, query }) => {
        const role = await roleParam(ctx.db, params.role)
        return { users: await listAdminUsers(ctx.db, pageParams(query), await ctx.settings.snapshot(), { role: role.uuid }) }
      },
      {
        permission: ['admin:roles.read', 'admin:users.read'],
        params: Params,
        query: PaginationQuery,
        response: { 200: t.Object({ users: PageOf(AdminUser) }) },
        detail: { summary: "A role's users (search: username or email)" },
      },
    )
}
