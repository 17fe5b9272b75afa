import { Elysia, t } from 'elysia'
import { actorOf, Empty, PageOf, PaginationQuery, pageParams, transaction, uuidParam, type PluginContext } from 'hatchery'
import type { SystemBackupPoliciesApi } from './api'
import { CreateSystemBackupPolicy, DeleteSystemBackupPolicy, SystemBackupPolicy, UpdateSystemBackupPolicy } from './model'
import { adminPolicy, createPolicy, deletePolicy, getPolicy, listPolicies, policyAudit, updatePolicy } from './service/policies'

const Params = uuidParam('system_backup_policy')
const One = t.Object({ system_backup_policy: SystemBackupPolicy })
const READ = 'admin:system-backup-policies.read' as const

/** `/api/admin/system-backup-policies`: CRUD and trigger (the links: `admin-links.ts`). */
export function adminPolicyRoutes(ctx: PluginContext, api: SystemBackupPoliciesApi) {
  return new Elysia({ prefix: '/system-backup-policies', tags: ['admin system backup policies'] })
    .use(ctx.guard)
    .get('', async ({ query }) => ({ system_backup_policies: await listPolicies(ctx.db, ctx.secrets, pageParams(query)) }), {
      permission: READ,
      query: PaginationQuery,
      response: { 200: t.Object({ system_backup_policies: PageOf(SystemBackupPolicy) }) },
      detail: { summary: 'List system backup policies (search: name)' },
    })
    .post(
      '',
      async ({ principal, body, request }) => {
        const row = await transaction(ctx.db, async (tx) => {
          const row = await createPolicy(tx, body)
          await ctx.activity.admin(tx, actorOf(principal, request), 'system-backup-policy:create', policyAudit(row))
          return row
        })
        return { system_backup_policy: await adminPolicy(ctx.db, ctx.secrets, row.uuid) }
      },
      {
        permission: 'admin:system-backup-policies.create',
        body: CreateSystemBackupPolicy,
        response: { 200: One },
        detail: {
          summary: 'Create a system backup policy',
          description:
            'A taken name is 409 `system backup policy with name already exists`; an unknown backup configuration 400 ``invalid relation `backup_configuration` provided``; a cron croner cannot read 400 `cron: invalid cron expression…`. Its first run is the first cron occurrence after its creation.',
        },
      },
    )
    .get(
      '/:system_backup_policy',
      async ({ params }) => {
        const row = await getPolicy(ctx.db, params.system_backup_policy)
        return { system_backup_policy: await adminPolicy(ctx.db, ctx.secrets, row.uuid) }
      },
      { permission: READ, params: Params, response: { 200: One }, detail: { summary: 'Get a system backup policy' } },
    )
    .patch(
      '/:system_backup_policy',
      async ({ principal, params, body, request }) => {
        await transaction(ctx.db, async (tx) => {
          const row = await updatePolicy(tx, params.system_backup_policy, body)
          await ctx.activity.admin(tx, actorOf(principal, request), 'system-backup-policy:update', policyAudit(row))
        })
        return {}
      },
      {
        permission: [READ, 'admin:system-backup-policies.update'],
        params: Params,
        body: UpdateSystemBackupPolicy,
        response: { 200: Empty },
        detail: {
          summary: 'Update a system backup policy',
          description:
            'Absent fields stay; null clears `description`, `backup_configuration_uuid`, `retention_count` or `retention_days`. A changed cron, or a policy switched on, counts its slots from now.',
        },
      },
    )
    .delete(
      '/:system_backup_policy',
      async ({ principal, params, body, request }) => {
        const deleteBackups = body?.delete_backups ?? false
        const runner = deleteBackups ? api.runners.get() : null
        const { backups } = await transaction(ctx.db, async (tx) => {
          const deleted = await deletePolicy(tx, params.system_backup_policy)
          if (deleteBackups && deleted.backups.length > 0 && !runner) api.runners.require()
          await ctx.activity.admin(tx, actorOf(principal, request), 'system-backup-policy:delete', {
            uuid: deleted.row.uuid,
            name: deleted.row.name,
            delete_backups: deleteBackups,
          })
          return deleted
        })
        if (runner && backups.length > 0) api.engine.removeLater(runner, backups)
        return {}
      },
      {
        permission: [READ, 'admin:system-backup-policies.delete'],
        params: Params,
        body: t.Optional(DeleteSystemBackupPolicy),
        response: { 200: Empty },
        detail: {
          summary: 'Delete a system backup policy',
          description:
            'Its links go with it. With `delete_backups` the backups it started are deleted through the backup runner after the answer (503 `backups are not available`, nothing deleted, while there is no runner).',
        },
      },
    )
    .post(
      '/:system_backup_policy/trigger',
      async ({ principal, params, request }) => {
        const row = await getPolicy(ctx.db, params.system_backup_policy)
        api.runners.require()
        await transaction(ctx.db, (tx) =>
          ctx.activity.admin(tx, actorOf(principal, request), 'system-backup-policy:trigger', { uuid: row.uuid, name: row.name }),
        )
        await api.engine.trigger(row.uuid)
        return {}
      },
      {
        permission: [READ, 'admin:system-backup-policies.update'],
        params: Params,
        response: { 200: Empty },
        detail: {
          summary: 'Run a system backup policy now',
          description:
            'Marks it `triggered` and starts its run in the background (backups of every covered server, `parallelism` at once, then retention); `triggered` is null again when the run is done. A policy whose triggered run is pending is left as it is. 503 `backups are not available` until the backups plugin provides the runner.',
        },
      },
    )
}
