import { eq } from 'drizzle-orm'
import { t } from 'elysia'
import { BadRequest, type PluginContext, type Tx } from 'hatchery'
import type { MappingType } from '../../oauth'
import { getUser } from '../../users'
import type { ServersApi } from '../api'
import { servers } from '../tables'
import { SubuserChanges } from './subuser-changes'
import { findSubuser } from './subusers-store'

type ServerSubuserMapping = {
  type: 'server_subuser'
  server_uuid: string
  permissions: string[]
  ignored_files: string[]
  revoke_unmatched?: boolean
}

const ServerSubuserMapping = t.Object({
  type: t.Literal('server_subuser'),
  server_uuid: t.String({ format: 'uuid' }),
  permissions: t.Array(t.String({ maxLength: 255 }), { maxItems: 1024 }),
  ignored_files: t.Array(t.String({ maxLength: 4096 }), { maxItems: 1024 }),
  revoke_unmatched: t.Optional(t.Boolean({ default: false })),
})

const serverRow = async (tx: Tx, uuid: string) => (await tx.select().from(servers).where(eq(servers.uuid, uuid)).limit(1))[0]

const sameGrant = (a: { permissions: string[]; ignored_files: string[] }, b: typeof a) =>
  JSON.stringify([a.permissions, a.ignored_files]) === JSON.stringify([b.permissions, b.ignored_files])

/**
 * The oauth `server_subuser` mapping: a matched login makes the user a subuser of the server with
 * these permissions and ignored files, or updates their grant; reverting removes the subuser. It
 * goes through the same `SubuserChanges` as the subuser routes: a new subuser counts against
 * `server.max_subuser_count` (at the limit the mapping fails, logged, and the login goes on) and
 * gets `added_to_server`; a changed grant reaches the node's console (`ws/permissions`); a removed
 * one gets `removed_from_server` and loses the console at once (`ws/deny`). The server's owner is
 * left alone, and a server deleted since is skipped.
 */
export function serverSubuserMappingType(ctx: PluginContext, api: ServersApi): MappingType<ServerSubuserMapping> {
  const changes = new SubuserChanges(ctx, api)
  return {
    schema: ServerSubuserMapping,
    async check(tx, m) {
      const bad = ctx.permissions.firstInvalid('server', m.permissions)
      if (bad) throw new BadRequest(`mapping.permissions: invalid permission: ${bad}`)
      if (!(await serverRow(tx, m.server_uuid))) throw new BadRequest('invalid relation `server` provided')
    },
    target: (m) => `server_subuser:${m.server_uuid}`,
    async apply(tx, userUuid, m) {
      const server = await serverRow(tx, m.server_uuid)
      if (!server || server.owner_uuid === userUuid) return
      const grant = { permissions: m.permissions, ignored_files: m.ignored_files }
      const settings = await ctx.settings.snapshot()
      const held = await findSubuser(tx, server.uuid, userUuid)
      if (!held) await changes.add(tx, settings, server, grant, async () => (await getUser(tx, userUuid)).user)
      else if (!sameGrant(held, grant)) await changes.update(tx, settings, server, userUuid, grant)
    },
    async revert(tx, userUuid, m) {
      const server = await serverRow(tx, m.server_uuid)
      if (!server || server.owner_uuid === userUuid) return
      await changes.remove(tx, await ctx.settings.snapshot(), server, (await getUser(tx, userUuid)).user)
    },
  }
}
