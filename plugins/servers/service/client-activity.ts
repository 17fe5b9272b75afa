import { and, desc, eq, getTableColumns, inArray } from 'drizzle-orm'
import { alias } from 'drizzle-orm/pg-core'
import { paginate, type Db, type PageParams, type SettingsSnapshot, type Tx } from 'hatchery'
import { tables as userTables, toShortUser, type UserRow } from '../../users'
import { serverActivities } from '../tables'

/**
 * A server's activity for the client area (spec 03 §2.6), newest first over the
 * (server_uuid, created, id) index. Without `user`, `search` matches the event or the acting
 * username; with `user` only that user's rows, and `search` matches the event. `ip` only when
 * `withIp` (the caller also holds `activity.read-ip`).
 */
export function listServerActivity(
  db: Db | Tx,
  serverUuid: string,
  page: PageParams,
  settings: SettingsSnapshot,
  options: { user?: string; withIp: boolean },
) {
  const actor = alias(userTables.users, 'actor')
  return paginate(
    db,
    {
      // Without a search PostgreSQL drops the join (nothing of `actor` is read, its uuid is unique).
      from: (total) =>
        db
          .select({ ...getTableColumns(serverActivities), ...total })
          .from(serverActivities)
          .leftJoin(actor, eq(actor.uuid, serverActivities.user_uuid)),
      where: and(eq(serverActivities.server_uuid, serverUuid), options.user ? eq(serverActivities.user_uuid, options.user) : undefined),
      search: options.user ? [serverActivities.event] : [serverActivities.event, actor.username],
      orderBy: [desc(serverActivities.created), desc(serverActivities.id)],
      load: async (rows) => {
        const wanted = [...new Set(rows.flatMap((r) => [r.user_uuid, r.impersonator_uuid]).filter((u): u is string => u !== null))]
        const people: UserRow[] = wanted.length
          ? await db.select().from(userTables.users).where(inArray(userTables.users.uuid, wanted))
          : []
        return new Map(people.map((u) => [u.uuid, toShortUser(u, settings)]))
      },
      map: (r, people) => ({
        user: r.user_uuid ? (people.get(r.user_uuid) ?? null) : null,
        impersonator: r.impersonator_uuid ? (people.get(r.impersonator_uuid) ?? null) : null,
        event: r.event,
        ip: options.withIp ? r.ip : null,
        data: r.data,
        is_api: r.api_key_uuid !== null,
        is_schedule: r.schedule_uuid !== null,
        created: r.created,
      }),
    },
    page,
  )
}
