import { and, asc, eq, getTableColumns, sql, type SQL } from 'drizzle-orm'
import { Conflict, NotFound, paginate, parseUuid, type Db, type PageParams, type PluginContext, type Tx } from 'hatchery'
import { tables as mountTables, toAdminMount, type MountRow } from '../mounts'
import { tables as nodeTables, getNode } from '../nodes'
import { tables as nestTables } from '../nests'
import { tables as serverTables, toAdminServers, type ServerRow, type ServersApi } from '../servers'
import { serverMounts } from './tables'

const { mounts } = mountTables
const { nodeMounts } = nodeTables
const { nestEggMounts } = nestTables

/** Who attaches: a client route may only touch `user_mountable` mounts (spec 03 §5.5), an admin any linked mount (§8.11). */
export type Attacher = 'client' | 'admin'

/** The mounts `server` may use: linked to both its node and its egg (and user-mountable for a client). */
function usable(server: ServerRow, by: Attacher): SQL {
  return and(
    sql`exists (select 1 from ${nodeMounts} where ${nodeMounts.mount_uuid} = ${mounts.uuid} and ${nodeMounts.node_uuid} = ${server.node_uuid})`,
    sql`exists (select 1 from ${nestEggMounts} where ${nestEggMounts.mount_uuid} = ${mounts.uuid} and ${nestEggMounts.egg_uuid} = ${server.egg_uuid})`,
    by === 'client' ? eq(mounts.user_mountable, true) : undefined,
  )!
}

export const toClientMount = (m: MountRow, created: Date | null) => ({
  uuid: m.uuid,
  name: m.name,
  description: m.description,
  target: m.target,
  read_only: m.read_only,
  created,
})

/** Every mount the server may use, attached or not (`created` null when not), oldest mount first; `search` matches the name. */
export function listUsableMounts<T>(
  db: Db | Tx,
  server: ServerRow,
  by: Attacher,
  page: PageParams,
  map: (m: MountRow, created: Date | null) => T,
) {
  return paginate(
    db,
    {
      from: (total) =>
        db
          .select({ mount: getTableColumns(mounts), attached: serverMounts.created, ...total })
          .from(mounts)
          .leftJoin(serverMounts, and(eq(serverMounts.mount_uuid, mounts.uuid), eq(serverMounts.server_uuid, server.uuid))),
      where: usable(server, by),
      search: [mounts.name],
      orderBy: [asc(mounts.created), asc(mounts.uuid)],
      map: (r) => map(r.mount, r.attached),
    },
    page,
  )
}

/** The mounts attached to the server, by attach time; `search` matches the name. */
export function listAttachedMounts(db: Db | Tx, serverUuid: string, page: PageParams) {
  return paginate(
    db,
    {
      from: (total) =>
        db
          .select({ mount: getTableColumns(mounts), attached: serverMounts.created, ...total })
          .from(serverMounts)
          .innerJoin(mounts, eq(mounts.uuid, serverMounts.mount_uuid)),
      where: eq(serverMounts.server_uuid, serverUuid),
      search: [mounts.name],
      orderBy: [asc(serverMounts.created), asc(serverMounts.mount_uuid)],
      map: (r) => ({ mount: toAdminMount(r.mount), created: r.attached }),
    },
    page,
  )
}

/**
 * Attaches a mount the server may use (else 404 `mount not found`; attached already: 409
 * `mount already exists`). The mount row is share-locked so a concurrent delete waits.
 */
export async function attachMount(tx: Tx, server: ServerRow, mountUuid: string, by: Attacher): Promise<MountRow> {
  const [mount] = await tx
    .select()
    .from(mounts)
    .where(and(eq(mounts.uuid, mountUuid), usable(server, by)))
    .for('key share')
  if (!mount) throw new NotFound('mount not found')
  const inserted = await tx
    .insert(serverMounts)
    .values({ server_uuid: server.uuid, mount_uuid: mount.uuid })
    .onConflictDoNothing()
    .returning({ mount: serverMounts.mount_uuid })
  if (!inserted.length) throw new Conflict('mount already exists')
  return mount
}

/** Detaches a mount (400 malformed uuid; not attached, or not user-mountable for a client: 404 `mount not found`). */
export async function detachMount(tx: Tx, server: ServerRow, mountParam: string, by: Attacher): Promise<string> {
  const mountUuid = parseUuid(mountParam, 'mount')
  const mountable =
    by === 'client'
      ? sql` and exists (select 1 from ${mounts} where ${mounts.uuid} = ${serverMounts.mount_uuid} and ${mounts.user_mountable})`
      : sql``
  const deleted = await tx
    .delete(serverMounts)
    .where(sql`${and(eq(serverMounts.server_uuid, server.uuid), eq(serverMounts.mount_uuid, mountUuid))}${mountable}`)
    .returning({ mount: serverMounts.mount_uuid })
  if (!deleted.length) throw new NotFound('mount not found')
  return mountUuid
}

/** The `mounts` of the server's configuration document (spec 04 §3.3): every attached mount, by attach time. */
export async function documentMounts(db: Db | Tx, server: ServerRow) {
  const rows = await db
    .select({ source: mounts.source, target: mounts.target, read_only: mounts.read_only })
    .from(serverMounts)
    .innerJoin(mounts, eq(mounts.uuid, serverMounts.mount_uuid))
    .where(eq(serverMounts.server_uuid, server.uuid))
    .orderBy(asc(serverMounts.created), asc(serverMounts.mount_uuid))
  return { mounts: rows }
}

/** `{server, created}` of a mount (`/api/admin/mounts/{mount}/servers`); `search` matches the server name. */
export function listMountServers(db: Db | Tx, api: ServersApi, mountUuid: string, page: PageParams) {
  const { servers } = serverTables
  return paginate(
    db,
    {
      from: (total) =>
        db
          .select({ server: getTableColumns(servers), attached: serverMounts.created, ...total })
          .from(serverMounts)
          .innerJoin(servers, eq(servers.uuid, serverMounts.server_uuid)),
      where: eq(serverMounts.mount_uuid, mountUuid),
      search: [servers.name],
      orderBy: [asc(serverMounts.created), asc(serverMounts.server_uuid)],
      load: async (rows) =>
        new Map(
          (
            await toAdminServers(
              db,
              await api.views(),
              rows.map((r) => r.server),
            )
          ).map((s) => [s.uuid, s]),
        ),
      map: (r, answered) => ({ server: answered.get(r.server.uuid)!, created: r.attached }),
    },
    page,
  )
}

/**
 * Pushes the server's configuration to its node in the background (the reference's `batch_sync`):
 * the change is committed whatever the node says; a failure is logged. Returns the work so tests
 * may wait for it.
 */
export function syncInBackground(ctx: PluginContext, api: ServersApi, serverUuid: string): Promise<void> {
  return (async () => {
    const [server] = await ctx.db.select().from(serverTables.servers).where(eq(serverTables.servers.uuid, serverUuid))
    if (!server) return
    const node = await getNode(ctx.db, server.node_uuid)
    await api.wings(node).syncServer(server.uuid, await api.document(ctx.db, server))
  })().catch((error: Error) => ctx.log.warn('could not push the mounts to the node', { server: serverUuid, error: error.message }))
}
