import { and, eq } from 'drizzle-orm'
import { t } from 'elysia'
import { BadRequest, type PluginContext } from 'hatchery'
import type { MappingType } from '../../oauth'
import { serverSubusers, servers } from '../tables'

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

/**
 * The oauth `server_subuser` mapping: a matched login makes the user a subuser of the server with
 * these permissions and ignored files (updated when already one); reverting removes the subuser.
 * The server's owner is left alone, and a server deleted since is skipped.
 */
export function serverSubuserMappingType(ctx: PluginContext): MappingType<ServerSubuserMapping> {
  const ownerOf = async (tx: Parameters<MappingType['apply']>[0], uuid: string) =>
    (await tx.select({ owner: servers.owner_uuid }).from(servers).where(eq(servers.uuid, uuid)).limit(1))[0]?.owner
  return {
    schema: ServerSubuserMapping,
    async check(tx, m) {
      const bad = ctx.permissions.firstInvalid('server', m.permissions)
      if (bad) throw new BadRequest(`mapping.permissions: invalid permission: ${bad}`)
      if ((await ownerOf(tx, m.server_uuid)) === undefined) throw new BadRequest('invalid relation `server` provided')
    },
    target: (m) => `server_subuser:${m.server_uuid}`,
    async apply(tx, userUuid, m) {
      const owner = await ownerOf(tx, m.server_uuid)
      if (owner === undefined || owner === userUuid) return
      const grant = { permissions: m.permissions, ignored_files: m.ignored_files }
      await tx
        .insert(serverSubusers)
        .values({ server_uuid: m.server_uuid, user_uuid: userUuid, ...grant })
        .onConflictDoUpdate({ target: [serverSubusers.server_uuid, serverSubusers.user_uuid], set: grant })
    },
    async revert(tx, userUuid, m) {
      await tx.delete(serverSubusers).where(and(eq(serverSubusers.server_uuid, m.server_uuid), eq(serverSubusers.user_uuid, userUuid)))
    },
  }
}
