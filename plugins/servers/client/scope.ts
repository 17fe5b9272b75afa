import { and, eq, type SQL } from 'drizzle-orm'
import { Conflict, hasServerPermission, NotFound, watch, type Db, type PluginContext, type Principal, type Tx } from 'hatchery'
import { VersionedCache } from './page-cache'
import type { ServersApi } from '../api'
import type { ServerRow } from '../service/admin-servers'
import type { SubuserGrant } from '../service/subusers'
import { servers } from '../tables'

/** Who the caller is to a server (spec 03 §1.2): the owner, a subuser (with their grant), or neither (an administrator reading it). */
export interface ClientServerAccess {
  owner: boolean
  subuser: SubuserGrant | null
}

declare module 'hatchery' {
  interface Scopes {
    'client:server': {
      resource: ServerRow
      access: ClientServerAccess
      /** `stateGate: false`: the route answers for a suspended, installing or transferring server too (spec 03 §1.4's exempt routes). */
      options: { stateGate?: boolean }
    }
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const SHORT = /^[0-9a-f]{8}$/i

/**
 * The condition naming a server by its path segment (spec 03 §1.1): a uuid, or the 8-hex short id
 * (the first 32 bits of the uuid, stored as a signed integer). Anything else names no server.
 */
export function serverIdentifier(value: string): SQL | null {
  if (UUID.test(value)) return eq(servers.uuid, value.toLowerCase())
  if (SHORT.test(value)) return eq(servers.uuid_short, Number.parseInt(value, 16) | 0)
  return null
}

/** "Admin read" of spec 03 §1.2: the role's `servers.read` when the user has a role, else the admin flag. */
export function readsEveryServer(p: Principal): boolean {
  return p.user.role ? p.user.role.adminPermissions.includes('servers.read') : p.user.admin
}

type Visible = Awaited<ReturnType<typeof visibleServer>>
/** Scope resolutions kept (one per caller and server named). */
const RESOLVED_SERVERS = 20_000

function frozen(v: Visible): Visible {
  Object.freeze(v.server)
  const grant = v.access.subuser
  if (grant) for (const part of [grant.permissions, grant.ignored_files, grant]) Object.freeze(part)
  Object.freeze(v.access)
  return Object.freeze(v)
}

/** The server `value` names, if `principal` may see it: 404 `server not found` otherwise (spec 03 §1.1, §1.2). */
export async function visibleServer(db: Db | Tx, api: ServersApi, principal: Principal, value: string) {
  const where = serverIdentifier(value)
  const [server] = where ? await db.select().from(servers).where(and(where)).limit(1) : []
  if (!server) throw new NotFound('server not found')
  const owner = server.owner_uuid === principal.user.uuid
  const subuser = owner ? null : await api.subusers.find(db, server, principal.user.uuid)
  if (!owner && !subuser && !readsEveryServer(principal)) throw new NotFound('server not found')
  return { server, access: { owner, subuser } satisfies ClientServerAccess }
}

/** The state gate of spec 03 §1.4, in its order: a suspended server is open to administrators only (and then nothing else is checked). */
export function stateGate(server: ServerRow, principal: Principal): void {
  if (server.suspended) {
    if (principal.user.admin) return
    throw new Conflict('server is suspended')
  }
  if (server.destination_node_uuid) throw new Conflict('server is being transferred')
  switch (server.status) {
    case 'installing':
      throw new Conflict('server is currently installing')
    case 'install_failed':
      throw new Conflict('your server has failed its installation process')
    case 'restoring_backup':
      throw new Conflict('server is restoring from a backup')
    case 'backup_restore_failed':
      throw new Conflict('your server has failed to restore a backup')
  }
}

/** Does `access` (with the admin flag, the role, an API key's narrowing) grant the server permission `permission`? (spec 03 §1.3) */
export function permitsServer(principal: Principal, access: ClientServerAccess, permission: string): boolean {
  return hasServerPermission(principal, permission, { owner: access.owner, subuser: access.subuser?.permissions })
}

/**
 * Fills the kernel's `client:server` scope (`/api/client/servers/:server`): the server by uuid or
 * short id and visible to the caller (404), then the state gate (409) unless the route says
 * `scope: { stateGate: false }`; server permissions (`permission: 'server:files.read'`) are
 * granted by the admin flag, the role, ownership or the subuser grant, narrowed by an API key
 * (spec 03 §1.3).
 */
export function provideClientScope(ctx: PluginContext, api: ServersApi): void {
  // Who sees which server, kept until `servers` or `server_subusers` change (the subuser slot is
  // this plugin's `findSubuser`); entries are frozen, since every route of the scope shares them.
  const found = new VersionedCache<Visible>(watch(ctx.db, ['servers', 'server_subusers']), {
    maxWeight: RESOLVED_SERVERS,
    maxAgeMs: 60_000,
  })
  const keyOf = (principal: Principal, server: string) =>
    `${principal.user.uuid} ${readsEveryServer(principal) ? 1 : 0} ${server.toLowerCase()}`
  ctx.kernel.provideScope(
    'client:server',
    {
      path: '/servers/:server',
      catalog: 'server',
      async resolve({ params, principal, route }) {
        const { server, access } = await found.get(keyOf(principal, params.server), async () =>
          frozen(await visibleServer(ctx.db, api, principal, params.server)),
        )
        if (route.options.stateGate !== false) stateGate(server, principal)
        return { resource: server, access }
      },
      // The same, when the caller's resolution is loaded and current (refusals are never kept).
      ready({ params, principal, route }) {
        const hit = found.peek(keyOf(principal, params.server))
        if (!hit) return undefined
        if (route.options.stateGate !== false) stateGate(hit.server, principal)
        return { resource: hit.server, access: hit.access }
      },
      permits: ({ principal, access, permission }) => permitsServer(principal, access, permission),
    },
    ctx.plugin,
  )
}
