import type { Db, Principal, SettingsSnapshot, Tx } from 'hatchery'
import { avatarUrl, getUser } from '../../users'
import type { ClientServerAccess } from '../client/scope'
import type { WingsClient } from '../wings/client'
import { signWingsToken } from '../wings/jwt'
import type { ServerRow } from './admin-servers'
import { wingsPermissions, type ServerRelation } from './subusers'

/** Lifetime of a console websocket token (spec 04 §2.2). */
export const CONSOLE_TOKEN_SECONDS = 600

/** Who the caller is to the server, for the permissions Wings gets: the admin flag first, then owner or subuser (a role-based reader counts as owner: the reference's quirk). */
export function relationOf(principal: Principal, access: ClientServerAccess): ServerRelation {
  if (principal.user.admin) return { kind: 'admin' }
  if (access.subuser) return { kind: 'subuser', grant: access.subuser }
  return { kind: 'owner' }
}

/** `public_url` (else `url`) of the node + `/api/servers/{uuid}/ws`, `http` → `ws`, `https` → `wss`. */
export function consoleUrl(wings: WingsClient, serverUuid: string): string {
  const url = new URL(`${wings.publicUrl.replace(/\/+$/, '')}/api/servers/${serverUuid}/ws`)
  if (url.protocol === 'http:') url.protocol = 'ws:'
  else if (url.protocol === 'https:') url.protocol = 'wss:'
  return url.toString()
}

/**
 * The console websocket credentials (spec 03 §2.4, spec 04 §2.1–2.2): an HS256 JWT signed with the
 * node's token, every common claim present (`sub`, `nbf` null, `aud` []), `jti` = the user's uuid
 * (so Wings can deny it), 600 s, and the §2.6 permission list narrowed by an API key.
 */
export async function consoleCredentials(
  db: Db | Tx,
  settings: SettingsSnapshot,
  at: { principal: Principal; server: ServerRow; access: ClientServerAccess; wings: WingsClient },
): Promise<{ token: string; url: string }> {
  const { principal, server, access, wings } = at
  const { user } = await getUser(db, principal.user.uuid)
  const now = Math.floor(Date.now() / 1000)
  const claims = {
    scope: 'websocket',
    iss: 'panel',
    sub: null,
    aud: [],
    exp: now + CONSOLE_TOKEN_SECONDS,
    nbf: null,
    iat: now,
    jti: user.uuid,
    user_uuid: user.uuid,
    user_name: user.username,
    user_avatar: avatarUrl(user.avatar, settings),
    server_uuid: server.uuid,
    permissions: wingsPermissions(relationOf(principal, access), settings, principal.apiKey?.serverPermissions),
    ignored_files: access.subuser?.ignored_files ?? [],
  }
  const token = await signWingsToken(wings, claims)
  return { token, url: consoleUrl(wings, server.uuid) }
}
