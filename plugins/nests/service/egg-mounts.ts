import { and, asc, eq, getTableColumns } from 'drizzle-orm'
import { BadRequest, NotFound, paginate, parseUuid, type Db, type PageParams, type Tx } from 'hatchery'
import { tables as mountTables, toAdminMount } from '../../mounts'
import { nestEggMounts, nestEggs, nests } from '../tables'
import { toAdminNest } from './nests'
import { toAdminEgg } from './eggs'

const { mounts } = mountTables

/** An egg's mounts by link creation; `search` matches the mount name. */
export function listEggMounts(db: Db | Tx, eggUuid: string, page: PageParams) {
  return paginate(
    db,
    {
      from: (total) =>
        db
          .select({ mount: getTableColumns(mounts), created: nestEggMounts.created, ...total })
          .from(nestEggMounts)
          .innerJoin(mounts, eq(mounts.uuid, nestEggMounts.mount_uuid)),
      where: eq(nestEggMounts.egg_uuid, eggUuid),
      search: [mounts.name],
      orderBy: [asc(nestEggMounts.created), asc(nestEggMounts.mount_uuid)],
      map: (r) => ({ mount: toAdminMount(r.mount), created: r.created }),
    },
    page,
  )
}

/** The eggs a mount is linked to (the mounts plugin's `nest-eggs` list); `search` matches the egg name. */
export function listMountEggs(db: Db | Tx, mountUuid: string, page: PageParams) {
  return paginate(
    db,
    {
      from: (total) =>
        db
          .select({ nest: getTableColumns(nests), egg: getTableColumns(nestEggs), created: nestEggMounts.created, ...total })
          .from(nestEggMounts)
          .innerJoin(nestEggs, eq(nestEggs.uuid, nestEggMounts.egg_uuid))
          .innerJoin(nests, eq(nests.uuid, nestEggs.nest_uuid)),
      where: eq(nestEggMounts.mount_uuid, mountUuid),
      search: [nestEggs.name],
      orderBy: [asc(nestEggMounts.created), asc(nestEggMounts.egg_uuid)],
      map: (r) => ({ nest: toAdminNest(r.nest), nest_egg: toAdminEgg(r.egg), created: r.created }),
    },
    page,
  )
}

/** Links a mount (400 ``invalid relation `mount` provided``; 409 `mount already exists` from uniqueMessages). */
export async function addEggMount(tx: Tx, eggUuid: string, mountUuid: string): Promise<void> {
  const uuid = mountUuid.toLowerCase()
  const [mount] = await tx.select({ uuid: mounts.uuid }).from(mounts).where(eq(mounts.uuid, uuid)).for('key share')
  if (!mount) throw new BadRequest('invalid relation `mount` provided')
  await tx.insert(nestEggMounts).values({ egg_uuid: eggUuid, mount_uuid: mount.uuid })
}

/** Unlinks a mount: 400 `invalid mount uuid`, 404 `mount not found` when not linked. */
export async function removeEggMount(tx: Tx, eggUuid: string, mountUuid: string): Promise<string> {
  const uuid = parseUuid(mountUuid, 'mount')
  const gone = await tx
    .delete(nestEggMounts)
    .where(and(eq(nestEggMounts.egg_uuid, eggUuid), eq(nestEggMounts.mount_uuid, uuid)))
    .returning({ mount_uuid: nestEggMounts.mount_uuid })
  if (gone.length === 0) throw new NotFound('mount not found')
  return uuid
}
