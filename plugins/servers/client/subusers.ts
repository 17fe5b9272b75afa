import { t } from 'elysia'
import {
  anonymousActor,
  BadRequest,
  denied,
  Empty,
  hasServerPermission,
  NotFound,
  PaginationQuery,
  PageOf,
  pageParams,
  parseUuid,
  requestMeta,
  transaction,
  type PluginContext,
  type Principal,
} from 'hatchery'
import mail from '../../mail'
import { createUser, mailPasswordLink, model as userModel, verifyCaptcha, type UserRow } from '../../users'
import type { ServersApi } from '../api'
import type { ServerRow } from '../service/admin-servers'
import { SubuserChanges } from '../service/subuser-changes'
import { invitedUsername, listSubusers, subuserWithUser, toServerSubuser, userByEmail } from '../service/subusers-store'
import { serverActivity } from './activity'
import type { ClientServerAccess } from './scope'

const TAG = { tags: ['client servers'] }

/** The wire `ServerSubuser` (spec 03 §3.1). */
export const ServerSubuser = t.Object({
  user: userModel.ShortUser,
  permissions: t.Array(t.String()),
  ignored_files: t.Array(t.String()),
  created: t.Date(),
})

/** The scope's `{server}` is checked by the scope; `{subuser}` by the gate (400 `invalid subuser uuid`). */
const SubuserParams = t.Object({
  server: t.String({ description: 'The server uuid or short id' }),
  subuser: t.String({ description: "The subuser's user uuid" }),
})
const Permissions = t.Array(t.String({ maxLength: 255 }), { maxItems: 1024 })
const IgnoredFiles = t.Array(t.String({ maxLength: 4096 }), { maxItems: 1024 })

/**
 * The checks before a permission list is handed out (spec 03 §3.1): names from the server
 * catalog (400), then no more than the caller holds: a subuser (not admin) only their own, and
 * nobody what their grant or API key lacks (400 `permissions: more permissions than self`).
 */
function checkGrantable(ctx: PluginContext, principal: Principal, access: ClientServerAccess, permissions: string[]) {
  const bad = ctx.permissions.firstInvalid('server', permissions)
  if (bad) throw new BadRequest(`permissions: invalid permission: ${bad}`)
  const own = access.subuser?.permissions
  if (!principal.user.admin && own && !permissions.every((p) => own.includes(p))) {
    throw new BadRequest('permissions: more permissions than self')
  }
  if (permissions.some((p) => !permits(principal, access, p))) throw new BadRequest('permissions: more permissions than self')
}

const permits = (principal: Principal, access: ClientServerAccess, permission: string) =>
  hasServerPermission(principal, permission, { owner: access.owner, subuser: access.subuser?.permissions })

function require(principal: Principal, access: ClientServerAccess, permission: string) {
  if (!permits(principal, access, permission)) throw denied(permission)
}

/** The nested-resource gate of spec 03 §1.5: 400 `invalid subuser uuid`, `subusers.read` (403), 404 `subuser not found`. */
async function gate(ctx: PluginContext, principal: Principal, access: ClientServerAccess, server: ServerRow, segment: string) {
  const uuid = parseUuid(segment, 'subuser')
  require(principal, access, 'subusers.read')
  const found = await subuserWithUser(ctx.db, server.uuid, uuid)
  if (!found) throw new NotFound('subuser not found')
  return found
}

/**
 * `/api/client/servers/{server}/subusers` (spec 03 §3.1): list, invite by email (an unknown email
 * gets an account and its mail), change and remove. Changes and removals reach the node's
 * console at once (`ws/permissions`, `ws/deny`) in the background.
 */
export function clientSubuserRoutes(ctx: PluginContext, api: ServersApi) {
  const mailer = () => ctx.api(mail)
  const changes = new SubuserChanges(ctx, api)
  return ctx
    .scope('client:server')
    .get(
      '/subusers',
      async ({ principal, access, resource: server, query }) => {
        require(principal, access, 'subusers.read')
        return { subusers: await listSubusers(ctx.db, server.uuid, pageParams(query), await ctx.settings.snapshot()) }
      },
      {
        authenticated: true,
        query: PaginationQuery,
        response: { 200: t.Object({ subusers: PageOf(ServerSubuser) }) },
        detail: {
          ...TAG,
          summary: "The server's subusers",
          description: 'Oldest first; `search` matches the username. Needs `subusers.read`.',
        },
      },
    )
    .post(
      '/subusers',
      async ({ principal, access, resource: server, body, request }) => {
        checkGrantable(ctx, principal, access, body.permissions)
        require(principal, access, 'subusers.create')
        const settings = await ctx.settings.snapshot()
        await verifyCaptcha(settings, body.captcha, requestMeta(request).ip)
        const { row, user, created } = await transaction(ctx.db, async (tx) => {
          let created = false
          // Resolved once the limit is checked (the reference's order: 417 before the owner's 400).
          const { row, user } = await changes.add(
            tx,
            settings,
            server,
            { permissions: body.permissions, ignored_files: body.ignored_files },
            async () => {
              let user: UserRow | undefined = await userByEmail(tx, body.email)
              created = !user
              user ??= await createUser(tx, {
                username: invitedUsername(body.email),
                email: body.email,
                name_first: 'Server',
                name_last: 'Subuser',
                password: null,
                admin: false,
                language: settings.get('app.language'),
              })
              if (user.uuid === server.owner_uuid) throw new BadRequest('cannot create subuser for server owner')
              return user
            },
          )
          await serverActivity(ctx, tx, { principal, request, server, access }, 'server:subuser.create', {
            username: user.username,
            email: user.email,
            permissions: row.permissions,
          })
          return { row, user, created }
        })
        if (created) {
          await mailPasswordLink(ctx, mailer(), user, {
            template: 'account_created',
            event: 'email:account-created',
            actor: anonymousActor(user.uuid, null),
          }).catch((error: Error) => ctx.log.warn('account mail for a new subuser failed', { user: user.uuid, error: error.message }))
        }
        return { subuser: toServerSubuser({ subuser: row, user }, settings) }
      },
      {
        authenticated: true,
        body: t.Object({ email: userModel.Email, permissions: Permissions, ignored_files: IgnoredFiles, captcha: userModel.Captcha }),
        response: { 200: t.Object({ subuser: ServerSubuser }) },
        detail: {
          ...TAG,
          summary: 'Add a subuser by email',
          description:
            'An email without an account creates one (no password; the account_created mail carries a reset link); the subuser gets the added_to_server mail. 400 `permissions: invalid permission: <p>`, `permissions: more permissions than self` (beyond your own grant or API key), `cannot create subuser for server owner`, the captcha error; 403 without `subusers.create`; 409 `subuser with email already exists`; 417 `maximum number of subusers reached` at `server.max_subuser_count`.',
        },
      },
    )
    .patch(
      '/subusers/:subuser',
      async ({ principal, access, resource: server, params, body, request }) => {
        const found = await gate(ctx, principal, access, server, params.subuser)
        if (body.permissions) checkGrantable(ctx, principal, access, body.permissions)
        require(principal, access, 'subusers.update')
        if (found.user.uuid === principal.user.uuid) throw new BadRequest('cannot update permissions for self')
        const grant = {
          permissions: body.permissions ?? found.subuser.permissions,
          ignored_files: body.ignored_files ?? found.subuser.ignored_files,
        }
        const settings = await ctx.settings.snapshot()
        await transaction(ctx.db, async (tx) => {
          // As the reference: the node's list is narrowed by the *caller's* API key.
          await changes.update(tx, settings, server, found.user.uuid, grant, principal.apiKey?.serverPermissions)
          await serverActivity(ctx, tx, { principal, request, server, access }, 'server:subuser.update', {
            username: found.user.username,
            email: found.user.email,
            ...grant,
          })
        })
        return {}
      },
      {
        authenticated: true,
        params: SubuserParams,
        body: t.Object({ permissions: t.Optional(Permissions), ignored_files: t.Optional(IgnoredFiles) }),
        response: { 200: Empty },
        detail: {
          ...TAG,
          summary: "Change a subuser's permissions or ignored files",
          description:
            '400 `invalid subuser uuid`; 403 without `subusers.read` or `subusers.update`; 404 `subuser not found`; 400 `permissions: …` as on creation, `cannot update permissions for self`. The node is told the new console permissions in the background.',
        },
      },
    )
    .delete(
      '/subusers/:subuser',
      async ({ principal, access, resource: server, params, request }) => {
        const found = await gate(ctx, principal, access, server, params.subuser)
        require(principal, access, 'subusers.delete')
        const settings = await ctx.settings.snapshot()
        await transaction(ctx.db, async (tx) => {
          await changes.remove(tx, settings, server, found.user)
          await serverActivity(ctx, tx, { principal, request, server, access }, 'server:subuser.delete', {
            username: found.user.username,
            email: found.user.email,
          })
        })
        return {}
      },
      {
        authenticated: true,
        params: SubuserParams,
        response: { 200: Empty },
        detail: {
          ...TAG,
          summary: 'Remove a subuser',
          description:
            '400 `invalid subuser uuid`; 403 without `subusers.read` or `subusers.delete`; 404 `subuser not found`. The subuser gets the removed_from_server mail; in the background the node drops their console permissions and refuses their tokens (`ws/deny`), so an open console closes at once.',
        },
      },
    )
}
