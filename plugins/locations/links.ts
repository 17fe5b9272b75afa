import { and, asc, eq, getTableColumns } from 'drizzle-orm'
import type { Static } from 'elysia'
import { BadRequest, NotFound, paginate, parseUuid, type Db, type PageParams, type Tx } from 'hatchery'
import { tables as hostTables, toDatabaseHost } from '../database-hosts'
import { locationDatabaseHosts } from './tables'
import type { LocationDatabaseHost } from './model'

const { databaseHosts } = hostTables
export const HOST_TAKEN = 'database host already exists in this location'

/** A location's database hosts by link creation; `search` matches the host's name. */
export function listLocationDatabaseHosts(db: Db | Tx, locationUuid: string, page: PageParams) {
  return paginate(
    db,
    {
      from: (total) =>
        db
          .select({ host: getTableColumns(databaseHosts), created: locationDatabaseHosts.created, ...total })
          .from(locationDatabaseHosts)
          .innerJoin(databaseHosts, eq(databaseHosts.uuid, locationDatabaseHosts.database_host_uuid)),
      where: eq(locationDatabaseHosts.location_uuid, locationUuid),
      search: [databaseHosts.name],
      orderBy: [asc(locationDatabaseHosts.created), asc(locationDatabaseHosts.database_host_uuid)],
      map: (r): Static<typeof LocationDatabaseHost> => ({ database_host: toDatabaseHost(r.host), created: r.created }),
    },
    page,
  )
}

/** Links a host: 400 ``invalid relation `database_host` provided`` when unknown, 409 when already linked. */
export async function addLocationDatabaseHost(tx: Tx, locationUuid: string, hostUuid: string): Promise<string> {
  const uuid = hostUuid.toLowerCase()
  const [host] = await tx.select({ uuid: databaseHosts.uuid }).from(databaseHosts).where(eq(databaseHosts.uuid, uuid)).for('key share')
  if (!host) throw new BadRequest('invalid relation `database_host` provided')
  await tx.insert(locationDatabaseHosts).values({ location_uuid: locationUuid, database_host_uuid: uuid }) // linked already: 409 from uniqueMessages
  return uuid
}

/** Unlinks a host: 400 malformed, 404 `database host not found` when it is not linked here. */
export async function removeLocationDatabaseHost(tx: Tx, locationUuid: string, hostParam: string): Promise<string> {
  const uuid = parseUuid(hostParam, 'database host')
  const [gone] = await tx
    .delete(locationDatabaseHosts)
    .where(and(eq(locationDatabaseHosts.location_uuid, locationUuid), eq(locationDatabaseHosts.database_host_uuid, uuid)))
    .returning()
  if (!gone) throw new NotFound('database host not found')
  return uuid
}

/** Gives `copy` the database hosts of `source` (duplicating a location). */
export async function copyLocationDatabaseHosts(tx: Tx, sourceUuid: string, copyUuid: string): Promise<void> {
  const links = await tx
    .select({ database_host_uuid: locationDatabaseHosts.database_host_uuid })
    .from(locationDatabaseHosts)
    .where(eq(locationDatabaseHosts.location_uuid, sourceUuid))
    .orderBy(asc(locationDatabaseHosts.created))
  if (links.length) await tx.insert(locationDatabaseHosts).values(links.map((l) => ({ ...l, location_uuid: copyUuid })))
}
