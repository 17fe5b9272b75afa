import { asc, eq, getTableColumns, type SQL } from 'drizzle-orm'
import type { Static } from 'elysia'
import { BadRequest, loadOr404, paginate, type Db, type PageParams, type Secrets, type Tx } from 'hatchery'
import { tables as backupTables, toAdminBackupConfiguration, type BackupConfigurationRow } from '../backup-configurations'
import { locations } from './tables'
import { copyLocationDatabaseHosts } from './links'
import type { CreateLocation, Location, UpdateLocation } from './model'

const { backupConfigurations } = backupTables
export type LocationRow = typeof locations.$inferSelect
export type AdminLocation = Static<typeof Location>

export function toAdminLocation(secrets: Secrets, r: LocationRow, bc: BackupConfigurationRow | null): AdminLocation {
  return {
    uuid: r.uuid,
    backup_configuration: bc ? toAdminBackupConfiguration(secrets, bc) : null,
    name: r.name,
    description: r.description,
    flag: r.flag,
    created: r.created,
  }
}

/** `location:create` / `location:update` activity data. */
export const locationAudit = (r: LocationRow) => ({ uuid: r.uuid, name: r.name, description: r.description })

/** The location a path parameter names: 400 malformed, 404 unknown. */
export const getLocation = (db: Db | Tx, uuid: string, lock = false) => loadOr404(db, locations, locations.uuid, uuid, 'location', { lock })

/** Locations with their backup configuration, by creation; `search` matches the name. */
export function listLocations(db: Db | Tx, secrets: Secrets, page: PageParams, where?: SQL) {
  return paginate(
    db,
    {
      from: (total) =>
        db
          .select({ location: getTableColumns(locations), bc: getTableColumns(backupConfigurations), ...total })
          .from(locations)
          .leftJoin(backupConfigurations, eq(backupConfigurations.uuid, locations.backup_configuration_uuid)),
      where,
      search: [locations.name],
      orderBy: [asc(locations.created), asc(locations.uuid)],
      map: (r) => toAdminLocation(secrets, r.location, r.bc),
    },
    page,
  )
}

/** One location as answered. */
export async function adminLocation(db: Db | Tx, secrets: Secrets, row: LocationRow): Promise<AdminLocation> {
  if (!row.backup_configuration_uuid) return toAdminLocation(secrets, row, null)
  const [bc] = await db.select().from(backupConfigurations).where(eq(backupConfigurations.uuid, row.backup_configuration_uuid))
  return toAdminLocation(secrets, row, bc ?? null)
}

/** An unknown backup configuration is the reference's relation error (400), not a 404. */
async function checkBackupConfiguration(tx: Tx, uuid: string | null | undefined): Promise<void> {
  if (!uuid) return
  const [found] = await tx
    .select({ uuid: backupConfigurations.uuid })
    .from(backupConfigurations)
    .where(eq(backupConfigurations.uuid, uuid))
    .for('key share')
  if (!found) throw new BadRequest('invalid relation `backup_configuration` provided')
}

export async function createLocation(tx: Tx, input: Static<typeof CreateLocation>): Promise<LocationRow> {
  await checkBackupConfiguration(tx, input.backup_configuration_uuid)
  const [row] = await tx
    .insert(locations)
    .values({
      backup_configuration_uuid: input.backup_configuration_uuid?.toLowerCase() ?? null,
      name: input.name,
      description: input.description ?? null,
      flag: input.flag?.toLowerCase() ?? null,
    })
    .returning()
  return row
}

/** Absent fields stay; null clears a nullable one. */
export async function updateLocation(tx: Tx, uuid: string, input: Static<typeof UpdateLocation>): Promise<LocationRow> {
  const current = await getLocation(tx, uuid, true)
  await checkBackupConfiguration(tx, input.backup_configuration_uuid)
  const changes = {
    ...input,
    backup_configuration_uuid: input.backup_configuration_uuid?.toLowerCase() ?? input.backup_configuration_uuid,
    flag: input.flag?.toLowerCase() ?? input.flag,
  }
  if (Object.values(changes).every((v) => v === undefined)) return current
  const [row] = await tx.update(locations).set(changes).where(eq(locations.uuid, current.uuid)).returning()
  return row
}

/** Deletes a location after every deletion guard agreed (links of other plugins cascade). */
export async function deleteLocation(
  tx: Tx,
  uuid: string,
  guards: Iterable<(tx: Tx, l: LocationRow) => Promise<void>>,
): Promise<LocationRow> {
  const row = await getLocation(tx, uuid, true)
  for (const guard of guards) await guard(tx, row)
  await tx.delete(locations).where(eq(locations.uuid, row.uuid))
  return row
}

/** A copy under a new name (backup configuration, description, flag, database hosts), then each plugin copies its links. */
export async function duplicateLocation(
  tx: Tx,
  uuid: string,
  name: string,
  hooks: Iterable<(tx: Tx, source: LocationRow, copy: LocationRow) => Promise<void>>,
): Promise<{ source: LocationRow; copy: LocationRow }> {
  const source = await getLocation(tx, uuid)
  const [copy] = await tx
    .insert(locations)
    .values({ backup_configuration_uuid: source.backup_configuration_uuid, name, description: source.description, flag: source.flag })
    .returning()
  await copyLocationDatabaseHosts(tx, source.uuid, copy.uuid)
  for (const hook of hooks) await hook(tx, source, copy)
  return { source, copy }
}
