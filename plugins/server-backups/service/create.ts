import { and, asc, count, eq, isNotNull, isNull } from 'drizzle-orm'
import { afterCommit, LimitExceeded, NotFound, SYSTEM_ACTOR, transaction, type Actor, type Db, type SystemActor, type Tx } from 'hatchery'
import { tables as nestTables } from '../../nests'
import { getNode } from '../../nodes'
import { getServer, tables as serverTables, type ServerRow } from '../../servers'
import { serverBackupGroups as g, serverBackups as b } from '../tables'
import { getConfiguration } from '../../backup-configurations'
import { adapterOf, configurationOf, type BackupRow } from './backups'
import { dispatchDeletion, markDeleting } from './delete'
import { runtimeOf, type BackupRuntime } from './runtime'
import { wingsBackups } from './wings'

export interface CreateBackupOptions {
  name?: string | null
  backup_group_uuid?: string | null
  ignored_files: string[]
  /** Set for a backup a system backup policy makes. */
  system_backup_policy_uuid?: string | null
  /** The configuration to store it with (a policy's own); by default the server's, else its node's, else its location's. */
  backup_configuration_uuid?: string | null
  /** Who asked, for the log (`schedule_uuid` of a schedule step). */
  schedule_uuid?: string | null
  /**
   * `true` (default): the panel asks Wings to make it (a user's or a policy's backup). `false`: Wings
   * makes it itself once answered (a schedule step, `POST /api/remote/servers/{server}/backups`).
   */
  dispatch?: boolean
  /** At `backup_limit`, delete the oldest unlocked backup instead of refusing (schedules). */
  evictAtLimit?: boolean
  /** Count against `ratelimits.client_servers_backups_create` per server (default true). */
  rateLimited?: boolean
  /** Writes the `server:backup.create` entry instead of the default (client routes use the servers plugin's rule). */
  log?: (tx: Tx, backup: BackupRow) => Promise<void>
}

/** `YYYY-MM-DD HH:MM:SS ±HHMM` in the panel's local time (spec 03 §5.2.2). */
export function defaultBackupName(at = new Date()): string {
  const p = (n: number) => String(Math.abs(n)).padStart(2, '0')
  const offset = -at.getTimezoneOffset()
  const zone = `${offset < 0 ? '-' : '+'}${p(Math.trunc(offset / 60))}${p(offset % 60)}`
  return `${at.getFullYear()}-${p(at.getMonth() + 1)}-${p(at.getDate())} ${p(at.getHours())}:${p(at.getMinutes())}:${p(at.getSeconds())} ${zone}`
}

/** The usable (successful, completed, not deleting) backups `where` selects, oldest first, unlocked only. */
const oldestUnlocked = (tx: Tx, where: ReturnType<typeof and>) =>
  tx
    .select()
    .from(b)
    .where(and(where, eq(b.locked, false), eq(b.successful, true), isNotNull(b.completed), isNull(b.deleting), isNull(b.deleted)))
    .orderBy(asc(b.created), asc(b.uuid))
    .limit(1)

/** `startup`, `image` and the variables' values: what `restore_startup` puts back (spec 03 §5.1). */
async function metadataOf(tx: Tx, server: ServerRow) {
  const v = nestTables.nestEggVariables
  const sv = serverTables.serverVariables
  const rows = await tx
    .select({ env: v.env_variable, fallback: v.default_value, value: sv.value })
    .from(v)
    .leftJoin(sv, and(eq(sv.variable_uuid, v.uuid), eq(sv.server_uuid, server.uuid)))
    .where(eq(v.egg_uuid, server.egg_uuid))
  const variables = Object.fromEntries(rows.map((r) => [r.env, r.value ?? r.fallback ?? '']))
  return { startup: server.startup, image: server.image, variables }
}

/**
 * Creates a backup of `server` (spec 03 §5.2.2, spec 04 §3.2 schedule backups): the one code path of
 * a user's backup, a schedule step and a system backup policy. The server row is locked while the
 * group's retention rotation, `backup_limit` and the rate limit are checked, so two requests at the
 * limit cannot both pass; rotation victims are deleted (their Wings deletion dispatched) only once
 * the new row is committed. With `dispatch` the panel then asks Wings in the background; a failed
 * call marks the backup failed. `db` is the panel's `ctx.db`.
 * @example const backup = await createBackup(ctx.db, server, { ignored_files: [] }, SYSTEM_ACTOR)
 */
export async function createBackup(
  db: Db,
  server: ServerRow,
  options: CreateBackupOptions,
  actor: Actor | SystemActor,
): Promise<BackupRow> {
  const rt = runtimeOf(db)
  const evicted: BackupRow[] = []
  const backup = await transaction(db, async (tx) => {
    evicted.length = 0
    const group = options.backup_group_uuid
      ? (
          await tx
            .select()
            .from(g)
            .where(and(eq(g.uuid, options.backup_group_uuid), eq(g.server_uuid, server.uuid)))
        )[0]
      : null
    if (options.backup_group_uuid && !group) throw new NotFound('backup group not found')
    const locked = await getServer(tx, server.uuid, true)
    if (group?.retention_count) {
      const inGroup = and(eq(b.backup_group_uuid, group.uuid), isNull(b.deleted))
      const usable = and(inGroup, eq(b.successful, true), isNotNull(b.completed), isNull(b.deleting))
      const [{ n }] = await tx.select({ n: count() }).from(b).where(usable)
      for (let extra = n - group.retention_count + 1; extra > 0; extra--) {
        const [victim] = await oldestUnlocked(tx, inGroup)
        if (!victim) throw new LimitExceeded('backup group is full and all of its backups are locked')
        evicted.push(await markDeleting(tx, victim))
        await rt.activity(
          tx,
          SYSTEM_ACTOR,
          'server:backup.delete',
          {
            source: 'eviction',
            uuid: victim.uuid,
            name: victim.name,
            rule: 'group-rotation',
            group: group.name,
            policy: null,
          },
          server.uuid,
        )
      }
    }
    const counted = and(eq(b.server_uuid, server.uuid), isNull(b.system_backup_policy_uuid), isNull(b.deleted), isNull(b.deleting))
    if (!options.system_backup_policy_uuid) {
      const [{ n }] = await tx.select({ n: count() }).from(b).where(counted)
      if (n >= locked.backup_limit) {
        const [victim] = options.evictAtLimit && locked.backup_limit > 0 ? await oldestUnlocked(tx, counted) : []
        if (!victim) throw new LimitExceeded('maximum number of backups reached')
        evicted.push(await markDeleting(tx, victim))
      }
    }
    if (options.rateLimited !== false) await rt.rateLimit('client_servers_backups_create', server.uuid)
    const configuration = options.backup_configuration_uuid
      ? await getConfiguration(tx, options.backup_configuration_uuid)
      : await configurationOf(tx, locked)
    if (!configuration) throw new LimitExceeded('no backup configuration available, unable to create backup')
    if (configuration.maintenance_enabled) throw new LimitExceeded('cannot create backup while backup configuration is in maintenance mode')
    const [row] = await tx
      .insert(b)
      .values({
        server_uuid: locked.uuid,
        node_uuid: locked.node_uuid,
        backup_configuration_uuid: configuration.uuid,
        backup_group_uuid: group?.uuid ?? null,
        system_backup_policy_uuid: options.system_backup_policy_uuid ?? null,
        name: options.name ?? defaultBackupName(),
        ignored_files: options.ignored_files,
        disk: configuration.backup_disk,
        shared: configuration.shared,
        metadata: await metadataOf(tx, locked),
      })
      .returning()
    if (options.log) await options.log(tx, row)
    else
      await rt.activity(
        tx,
        actor,
        'server:backup.create',
        {
          uuid: row.uuid,
          name: row.name,
          backup_group_uuid: row.backup_group_uuid,
          ignored_files: row.ignored_files,
          schedule_uuid: options.schedule_uuid ?? null,
        },
        server.uuid,
      )
    afterCommit(tx, () => {
      for (const victim of evicted)
        void dispatchDeletion(rt, victim).catch((e) => rt.log.warn('backup rotation failed', { backup: victim.uuid, error: String(e) }))
      if (options.dispatch !== false) void askWings(rt, row)
    })
    return row
  })
  return backup
}

/** Asks the node to make the backup; if it cannot be asked, the backup is marked failed (spec 03 §5.2.2). */
async function askWings(rt: BackupRuntime, row: BackupRow): Promise<void> {
  try {
    const node = await getNode(rt.db, row.node_uuid)
    await wingsBackups.create(rt.wings(node), row.server_uuid!, {
      adapter: adapterOf(row.disk),
      uuid: row.uuid,
      ignore: row.ignored_files.join('\n'),
    })
  } catch (error) {
    rt.log.warn('backup creation failed on the node', { backup: row.uuid, error: (error as Error).message })
    await rt.db
      .update(b)
      .set({ successful: false, completed: new Date() })
      .where(and(eq(b.uuid, row.uuid), isNull(b.completed)))
  }
}
