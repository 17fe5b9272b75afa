import { and, eq, sql } from 'drizzle-orm'
import { LimitExceeded, NotFound, type Db, type SettingsSnapshot } from 'hatchery'
import { parsePublicKeyLine, tables as accountTables } from '../../account'
import { tables as userTables, verifyPassword, type RoleRow, type UserRow } from '../../users'
import { servers } from '../tables'
import type { ServerRow } from './admin-servers'
import { wingsPermissions, type ServerRelation, type SubuserSlot } from './subusers'

const { users, roles } = userTables
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const SHORT = /^[0-9a-f]{8}$/i

export interface SftpLogin {
  type: 'password' | 'public_key'
  /** `<panel username>.<server>`: the server as its 8 hex `uuid_short` or its uuid. */
  username: string
  /** The password, or for `public_key` the OpenSSH public key line. */
  password: string
}

export interface SftpGrant {
  user: string
  server: string
  permissions: string[]
  ignored_files: string[]
}

async function userNamed(db: Db, username: string): Promise<{ user: UserRow; role: RoleRow | null } | null> {
  const [row] = await db
    .select({ user: users, role: roles })
    .from(users)
    .leftJoin(roles, eq(roles.uuid, users.role_uuid))
    .where(eq(sql`lower(${users.username})`, username.toLowerCase()))
    .limit(1)
  return row ?? null
}

/** The user a login names, when its password or public key is theirs; 417 otherwise (the reference's words). */
async function loginUser(db: Db, login: SftpLogin, username: string): Promise<{ user: UserRow; role: RoleRow | null }> {
  if (login.type === 'password') {
    const found = await userNamed(db, username)
    // verifyPassword spends the same effort on a missing user or a user without a password.
    if (!(await verifyPassword(login.password, found?.user.password))) throw new LimitExceeded('user not found')
    return found!
  }
  let fingerprint: string
  try {
    fingerprint = parsePublicKeyLine(login.password).fingerprint
  } catch {
    throw new LimitExceeded('invalid public key')
  }
  const found = await userNamed(db, username)
  const keys = accountTables.userSshKeys
  const match =
    found &&
    (await db
      .select({ uuid: keys.uuid })
      .from(keys)
      .where(and(eq(keys.user_uuid, found.user.uuid), eq(keys.fingerprint, fingerprint)))
      .limit(1))
  if (!found || !match?.length) throw new LimitExceeded('user not found')
  return found
}

/** The server an identifier names: 8 hex digits (`uuid_short`) or a uuid; null for anything else. */
async function serverNamed(db: Db, identifier: string): Promise<ServerRow | null> {
  let where
  if (SHORT.test(identifier)) where = eq(servers.uuid_short, Number.parseInt(identifier, 16) | 0)
  else if (UUID.test(identifier)) where = eq(servers.uuid, identifier.toLowerCase())
  else return null
  const [row] = await db.select().from(servers).where(where).limit(1)
  return row ?? null
}

/**
 * An SFTP login on a node (spec 04 §3.2 `POST /api/remote/sftp/auth`). The username splits at its
 * last `.` (none: 417 `invalid username`); the user must prove the password or hold the public key
 * (417 `user not found` / `invalid public key`; a suspended user is refused too, 417 `user is
 * suspended`); the server must be the owner's, a subuser's (`subusers`) or reachable by an
 * administrator (the admin flag or `servers.read`), and run on `nodeUuid` — else 404 `server not
 * found`. The answer carries the §2.6 permissions and the subuser's hidden files.
 */
export async function authenticateSftp(
  db: Db,
  nodeUuid: string,
  login: SftpLogin,
  subusers: SubuserSlot,
  settings: SettingsSnapshot,
): Promise<SftpGrant> {
  const dot = login.username.lastIndexOf('.')
  if (dot < 0) throw new LimitExceeded('invalid username')
  const { user, role } = await loginUser(db, login, login.username.slice(0, dot))
  if (user.suspended) throw new LimitExceeded('user is suspended')
  const server = await serverNamed(db, login.username.slice(dot + 1))
  if (!server) throw new NotFound('server not found')
  const grant = server.owner_uuid === user.uuid ? null : await subusers.find(db, server, user.uuid)
  const administrator = user.admin || (role?.admin_permissions ?? []).includes('servers.read')
  if (server.owner_uuid !== user.uuid && !grant && !administrator) throw new NotFound('server not found')
  if (server.node_uuid !== nodeUuid) throw new NotFound('server not found')
  const relation: ServerRelation = user.admin ? { kind: 'admin' } : grant ? { kind: 'subuser', grant } : { kind: 'owner' }
  return {
    user: user.uuid,
    server: server.uuid,
    permissions: wingsPermissions(relation, settings),
    ignored_files: grant?.ignored_files ?? [],
  }
}
