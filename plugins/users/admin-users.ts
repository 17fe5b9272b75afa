import { Elysia, t } from 'elysia'
import {
  NotFound,
  PageOf,
  PaginationQuery,
  pageParams,
  parseUuid,
  transaction,
  uuidParam,
  type PluginContext,
  actorOf,
  anonymousActor,
} from 'hatchery'
import { AdminUser, Email, Empty, Name, Password, ToastPosition, Username, Uuid } from './model'
import type { UsersApi } from './api'
import type { MailApi } from '../mail'
import { getUser, toAdminUser, userTransaction } from './service/users'
import { createPasswordReset, resetLink, userMailContext } from './service/resets'
import { privilegesOf } from './service/privileges'
import { createAdminUser, deleteAdminUser, findUserByExternalId, listAdminUsers, updateAdminUser, userAudit } from './service/admin-users'

const Language = t.String({ minLength: 2, maxLength: 15, description: 'One of GET /api/languages' })
const ExternalId = t.String({ minLength: 1, maxLength: 255 })
export const UserParams = uuidParam('user')

const CreateBody = t.Object({
  role_uuid: t.Optional(t.Nullable(Uuid)),
  external_id: t.Optional(t.Nullable(ExternalId)),
  username: Username,
  email: Email,
  name_first: Name,
  name_last: Name,
  password: t.Optional(t.Nullable(Password)),
  admin: t.Boolean(),
  frozen: t.Optional(t.Boolean()),
  suspended: t.Optional(t.Boolean()),
  send_email: t.Optional(t.Boolean({ description: 'Send the account_created mail with a password-reset link' })),
  language: Language,
})

const UpdateBody = t.Object({
  role_uuid: t.Optional(t.Nullable(Uuid, { description: 'null removes the role' })),
  external_id: t.Optional(t.Nullable(ExternalId, { description: 'null clears it' })),
  username: t.Optional(Username),
  email: t.Optional(Email),
  name_first: t.Optional(Name),
  name_last: t.Optional(Name),
  password: t.Optional(t.Nullable(Password, { description: 'null leaves it; a new password ends every session of the user' })),
  toast_position: t.Optional(ToastPosition),
  start_on_grouped_servers: t.Optional(t.Boolean()),
  admin: t.Optional(t.Boolean()),
  frozen: t.Optional(t.Boolean()),
  suspended: t.Optional(t.Boolean()),
  language: t.Optional(Language),
})

const ESCALATION =
  "Without the admin flag a caller cannot grant admin status, assign or change roles, modify an administrator or a user whose role holds permissions the caller lacks, nor change another user's password or email (403). An admin whose API key is narrowed cannot grant the admin flag nor a role with permissions the key lacks."

/**
 * `/api/admin/users`: list, create, read, update, delete, and lookup by external id. Routes on
 * one user also need `users.read`, checked before the uuid is parsed (400) and looked up (404).
 */
export function adminUserRoutes(ctx: PluginContext, api: UsersApi, mailer: MailApi) {
  return new Elysia({ prefix: '/users', tags: ['admin users'] })
    .use(ctx.guard)
    .get('', async ({ query }) => ({ users: await listAdminUsers(ctx.db, pageParams(query), await ctx.settings.snapshot()) }), {
      permission: 'admin:users.read',
      query: PaginationQuery,
      response: { 200: t.Object({ users: PageOf(AdminUser) }) },
      detail: { summary: 'List users (search: username or email)' },
    })
    .post(
      '',
      async ({ principal, body, request }) => {
        const { send_email, ...input } = body
        const caller = privilegesOf(principal, ctx.permissions)
        const { row, token } = await transaction(ctx.db, async (tx) => {
          const row = await createAdminUser(tx, caller, input)
          await ctx.activity.admin(tx, actorOf(principal, request), 'user:create', userAudit(row))
          if (!send_email) return { row, token: null }
          const token = await createPasswordReset(tx, ctx.secrets, row.uuid)
          await ctx.activity.user(tx, anonymousActor(row.uuid, null), 'email:account-created', {})
          return { row, token }
        })
        const settings = await ctx.settings.snapshot()
        if (token) mailer.sendLater('account_created', row.email, { user: userMailContext(row), reset_link: resetLink(settings, token) })
        return { user: toAdminUser(await getUser(ctx.db, row.uuid), settings) }
      },
      {
        permission: 'admin:users.create',
        body: CreateBody,
        response: { 200: t.Object({ user: AdminUser }) },
        detail: {
          summary: 'Create a user',
          description: `With \`send_email\`, the account_created mail carries a password-reset link (sent in the background). Taken username, email or external id: 409. ${ESCALATION}`,
        },
      },
    )
    .get(
      '/external/:external_id',
      async ({ params }) => {
        const found = await findUserByExternalId(ctx.db, params.external_id)
        if (!found) throw new NotFound('user not found')
        return { user: toAdminUser(found, await ctx.settings.snapshot()) }
      },
      {
        permission: 'admin:users.read',
        params: t.Object({ external_id: t.String({ maxLength: 255 }) }),
        response: { 200: t.Object({ user: AdminUser }) },
        detail: { summary: 'Find a user by external id (exact match)' },
      },
    )
    .get(
      '/:user',
      async ({ params }) => ({ user: toAdminUser(await getUser(ctx.db, parseUuid(params.user, 'user')), await ctx.settings.snapshot()) }),
      {
        permission: 'admin:users.read',
        params: UserParams,
        response: { 200: t.Object({ user: AdminUser }) },
        detail: { summary: 'Get a user' },
      },
    )
    .patch(
      '/:user',
      async ({ principal, params, body, request }) => {
        const uuid = parseUuid(params.user, 'user')
        const caller = privilegesOf(principal, ctx.permissions)
        await userTransaction(ctx.db, uuid, async (tx) => {
          const row = await updateAdminUser(tx, caller, uuid, body)
          await ctx.activity.admin(tx, actorOf(principal, request), 'user:update', userAudit(row))
        })
        return {}
      },
      {
        permission: ['admin:users.read', 'admin:users.update'],
        params: UserParams,
        body: UpdateBody,
        response: { 200: Empty },
        detail: {
          summary: 'Update a user (suspend, freeze, admin flag, role, password…)',
          description: `Absent fields stay. ${ESCALATION}`,
        },
      },
    )
    .delete(
      '/:user',
      async ({ principal, params, request }) => {
        const uuid = parseUuid(params.user, 'user')
        const caller = privilegesOf(principal, ctx.permissions)
        const deleted = await userTransaction(ctx.db, uuid, async (tx) => {
          const u = await deleteAdminUser(tx, caller, uuid, api.deletionGuards)
          const { uuid: id, username, email, name_first, name_last, admin } = u
          await ctx.activity.admin(tx, actorOf(principal, request), 'user:delete', {
            uuid: id,
            username,
            email,
            name_first,
            name_last,
            admin,
          })
          return u
        })
        await api.deletionGuards.deleted(deleted, ctx.log)
        return {}
      },
      {
        permission: ['admin:users.read', 'admin:users.delete'],
        params: UserParams,
        response: { 200: Empty },
        detail: {
          summary: 'Delete a user',
          description:
            'Refused (409, e.g. `user has servers, cannot delete`; the reference answers 400) while another plugin objects, e.g. the user still owns servers. A caller without the admin flag cannot delete an administrator.',
        },
      },
    )
}
