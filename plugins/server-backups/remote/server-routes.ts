import { t } from 'elysia'
import { and, asc, desc, eq, isNotNull, isNull } from 'drizzle-orm'
import { LimitExceeded, NotFound, SYSTEM_ACTOR, type PluginContext } from 'hatchery'
import type { ServerRow } from '../../servers'
import { adapterOf, expectUsable, type BackupRow } from '../service/backups'
import { createBackup } from '../service/create'
import { deleteBackup } from '../service/delete'
import { restoreBackup } from '../service/restore'
import type { BackupRuntime } from '../service/runtime'
import { serverBackupGroups as g, serverBackups as b } from '../tables'

const SCOPED = 'The server must run on the calling node or be transferred to it (else 404 `server not found`).'
const Id = t.String({ format: 'uuid' })
const Selector = {
  backup_uuid: t.Optional(t.Nullable(Id)),
  backup_name: t.Optional(t.Nullable(t.String({ minLength: 1, maxLength: 255 }))),
  backup_group_uuid: t.Optional(t.Nullable(Id)),
  oldest: t.Optional(t.Boolean()),
  schedule_uuid: t.Optional(t.Nullable(Id)),
}
type Selected = { backup_uuid?: string | null; backup_name?: string | null; backup_group_uuid?: string | null; oldest?: boolean }
const Picked = t.Object({ uuid: t.String() })

/** The completed, successful, user backup a schedule step names (spec 04 §3.2): by uuid, or by name/group, oldest or newest. */
async function select(ctx: PluginContext, server: ServerRow, s: Selected): Promise<BackupRow> {
  if (s.backup_uuid && s.backup_name) throw new LimitExceeded('backup_uuid and backup_name cannot both be given')
  const [row] = await ctx.db
    .select()
    .from(b)
    .where(
      and(
        eq(b.server_uuid, server.uuid),
        isNull(b.deleted),
        isNull(b.deleting),
        isNotNull(b.completed),
        eq(b.successful, true),
        s.backup_uuid ? eq(b.uuid, s.backup_uuid.toLowerCase()) : undefined,
        s.backup_name ? eq(b.name, s.backup_name) : undefined,
        s.backup_group_uuid ? eq(b.backup_group_uuid, s.backup_group_uuid.toLowerCase()) : undefined,
      ),
    )
    .orderBy(s.oldest ? asc(b.created) : desc(b.created))
    .limit(1)
  if (!row) throw new NotFound('backup not found')
  return row
}

/** `/api/remote/servers/{server}/backups…` (spec 04 §3.2): the backups a schedule makes, deletes, moves and restores. */
export function remoteServerBackupRoutes(ctx: PluginContext, rt: BackupRuntime) {
  return ctx
    .scope('remote:server')
    .post(
      '/backups',
      async ({ resource: server, body }) => {
        if (server.destination_node_uuid) throw new LimitExceeded('server is being transferred')
        const row = await createBackup(ctx.db, server, { ...body, dispatch: false, evictAtLimit: true }, SYSTEM_ACTOR)
        return { adapter: adapterOf(row.disk), uuid: row.uuid }
      },
      {
        remote: true,
        body: t.Object({
          name: t.Optional(t.Nullable(t.String({ minLength: 1, maxLength: 255 }))),
          ignored_files: t.Array(t.String({ maxLength: 1024 }), { maxItems: 1000 }),
          schedule_uuid: t.Optional(t.Nullable(Id)),
          backup_group_uuid: t.Optional(t.Nullable(Id)),
        }),
        response: { 200: t.Object({ adapter: t.String(), uuid: t.String() }) },
        detail: {
          tags: ['remote'],
          summary: 'A schedule backs the server up',
          description: `The row is made; Wings makes the backup itself and reports it. Group rotation as for users; at \`backup_limit\` the oldest unlocked backup is deleted (417 \`maximum number of backups reached\` when none can be); the per-server rate limit applies; 417 while transferring. ${SCOPED}`,
        },
      },
    )
    .delete(
      '/backups',
      async ({ resource: server, body }) => {
        const backup = await select(ctx, server, body)
        if (backup.system_backup_policy_uuid) throw new LimitExceeded('system backups cannot be deleted')
        if (backup.locked) throw new LimitExceeded('backup is locked and cannot be deleted')
        await deleteBackup(rt, backup)
        await rt.activity(
          ctx.db,
          SYSTEM_ACTOR,
          'server:backup.delete',
          { source: 'schedule', uuid: backup.uuid, name: backup.name, schedule_uuid: body.schedule_uuid ?? null },
          server.uuid,
        )
        return { uuid: backup.uuid }
      },
      {
        remote: true,
        body: t.Object(Selector),
        response: { 200: Picked },
        detail: {
          tags: ['remote'],
          summary: 'A schedule deletes a backup',
          description: `404 \`backup not found\`; 417 for system or locked backups. ${SCOPED}`,
        },
      },
    )
    .patch(
      '/backups',
      async ({ resource: server, body }) => {
        const backup = await select(ctx, server, body)
        const target = body.target_backup_group_uuid?.toLowerCase() ?? null
        if (
          target &&
          !(
            await ctx.db
              .select()
              .from(g)
              .where(and(eq(g.uuid, target), eq(g.server_uuid, server.uuid)))
          ).length
        )
          throw new NotFound('backup group not found')
        await ctx.db.update(b).set({ backup_group_uuid: target }).where(eq(b.uuid, backup.uuid))
        return { uuid: backup.uuid }
      },
      {
        remote: true,
        body: t.Object({ ...Selector, target_backup_group_uuid: t.Optional(t.Nullable(Id)) }),
        response: { 200: Picked },
        detail: {
          tags: ['remote'],
          summary: 'A schedule moves a backup to another group',
          description: `null ungroups; 404 \`backup not found\` / \`backup group not found\`. ${SCOPED}`,
        },
      },
    )
    .post(
      '/backups/restore',
      async ({ resource: server, body }) => {
        const backup = await select(ctx, server, body)
        expectUsable(backup, 'restored')
        const { adapter, download_url } = await restoreBackup(rt, server, backup, { ...body, dispatch: false })
        return { adapter, uuid: backup.uuid, download_url }
      },
      {
        remote: true,
        body: t.Object({ ...Selector, truncate_directory: t.Boolean(), restore_startup: t.Boolean() }),
        response: { 200: t.Object({ adapter: t.String(), uuid: t.String(), download_url: t.Nullable(t.String()) }) },
        detail: {
          tags: ['remote'],
          summary: 'A schedule restores a backup',
          description: `The server becomes \`restoring_backup\` (417 \`server is not in a valid state to restore backup.\`); Wings restores by itself and reports. ${SCOPED}`,
        },
      },
    )
}
