import { t } from 'elysia'
import { and, asc, eq, or, sql } from 'drizzle-orm'
import type { AnyPgColumn } from 'drizzle-orm/pg-core'
import type { Db, PluginContext } from 'hatchery'
import { isActive, PublicAnnouncement, tables as announcementTables, toPublicAnnouncement, type AnnouncementRow } from '../../announcements'
import { tables as locationTables } from '../../locations'
import { tables as nodeTables } from '../../nodes'
import type { ServersApi } from '../api'
import type { ServerRow } from '../service/admin-servers'

const a = announcementTables.announcements

/**
 * The announcements targeting `server` (spec 03 §1.9): enabled, with a target list naming its
 * location, node, backup configuration (the server's, else the node's, else the location's) or
 * egg; oldest first, whatever their window (the route caches these and filters the window per
 * request, so one opening or closing shows at once).
 */
export async function serverAnnouncements(db: Db, server: ServerRow): Promise<AnnouncementRow[]> {
  const n = nodeTables.nodes
  const l = locationTables.locations
  const [where] = await db
    .select({
      node: n.uuid,
      location: n.location_uuid,
      nodeBackup: n.backup_configuration_uuid,
      locationBackup: l.backup_configuration_uuid,
    })
    .from(n)
    .innerJoin(l, eq(l.uuid, n.location_uuid))
    .where(eq(n.uuid, server.node_uuid))
  if (!where) return []
  const backup = server.backup_configuration_uuid ?? where.nodeBackup ?? where.locationBackup
  const has = (column: AnyPgColumn, value: string) => sql`${value}::uuid = any(${column})`
  return db
    .select()
    .from(a)
    .where(
      and(
        eq(a.enabled, true),
        or(
          has(a.locations, where.location),
          has(a.nodes, where.node),
          backup ? has(a.backup_configurations, backup) : undefined,
          has(a.eggs, server.egg_uuid),
        ),
      ),
    )
    .orderBy(asc(a.created), asc(a.uuid))
}

/** `GET /api/client/servers/{server}/announcements` (spec 03 §1.9): no permission, no activity. */
export function clientAnnouncementRoutes(ctx: PluginContext, api: ServersApi) {
  return ctx.scope('client:server').get(
    '/announcements',
    async ({ resource }) => {
      const rows = await api.serverAnnouncements.get(resource.uuid, () => serverAnnouncements(ctx.db, resource))
      const now = new Date()
      return { announcements: rows.filter((r) => isActive(r, now)).map(toPublicAnnouncement) }
    },
    {
      authenticated: true,
      response: { 200: t.Object({ announcements: t.Array(PublicAnnouncement) }) },
      detail: {
        tags: ['client servers'],
        summary: 'Announcements for the server',
        description:
          "Enabled announcements inside their window that target the server's location, node, backup configuration (the server's, else the node's, else the location's) or egg, oldest first. Global announcements (no targets) are not included. Cached 60 s per server; an announcement's change clears it.",
      },
    },
  )
}
