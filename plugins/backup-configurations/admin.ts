import { Elysia, t } from 'elysia'
import { actorOf, Empty, PageOf, PaginationQuery, pageParams, transaction, uuidParam, type PluginContext } from 'hatchery'
import {
  BackupConfiguration,
  BackupStats,
  CreateBackupConfiguration,
  DuplicateBackupConfiguration,
  UpdateBackupConfiguration,
} from './model'
import {
  configurationAudit,
  createConfiguration,
  deleteConfiguration,
  duplicateConfiguration,
  getConfiguration,
  listConfigurations,
  toAdminBackupConfiguration,
  updateConfiguration,
} from './service/configurations'
import type { SubListName, SubLists } from './service/lists'

const Params = uuidParam('backup_configuration', 'backup configuration')
const One = t.Object({ backup_configuration: BackupConfiguration })
const READ = 'admin:backup-configurations.read' as const
const SECRETS =
  'Secrets (S3 `secret_key`, PBS `token_secret`, Kopia `password`, secret-looking restic environment values) are stored encrypted and read as `********`; sending the mask back keeps the stored value.'

/** `/api/admin/backup-configurations`: CRUD, duplicate, and what uses a configuration. */
export function adminBackupConfigurationRoutes(ctx: PluginContext, lists: SubLists) {
  const subList = <K extends string>(name: SubListName, key: K, permission: `admin:${string}`, summary: string) =>
    new Elysia().use(ctx.guard).get(
      `/:backup_configuration/${name}`,
      async ({ params, query }) => {
        const row = await getConfiguration(ctx.db, params.backup_configuration)
        return { [key]: await lists.list(name, ctx.db, row.uuid, pageParams(query)) } as never
      },
      {
        permission: [READ, permission as 'admin:locations.read'],
        params: Params,
        query: PaginationQuery,
        response: { 200: t.Object({ [key]: PageOf(lists.model(name)) } as Record<K, ReturnType<typeof PageOf>>) },
        detail: { summary, description: 'An empty page until the plugin owning these items is installed.' },
      },
    )

  return new Elysia({ prefix: '/backup-configurations', tags: ['admin backup configurations'] })
    .use(ctx.guard)
    .get('', async ({ query }) => ({ backup_configurations: await listConfigurations(ctx.db, ctx.secrets, pageParams(query)) }), {
      permission: READ,
      query: PaginationQuery,
      response: { 200: t.Object({ backup_configurations: PageOf(BackupConfiguration) }) },
      detail: { summary: 'List backup configurations (search: name)' },
    })
    .post(
      '',
      async ({ principal, body, request }) => {
        const row = await transaction(ctx.db, async (tx) => {
          const row = await createConfiguration(tx, ctx.secrets, body)
          await ctx.activity.admin(tx, actorOf(principal, request), 'backup-configuration:create', configurationAudit(row))
          return row
        })
        return { backup_configuration: toAdminBackupConfiguration(ctx.secrets, row) }
      },
      {
        permission: 'admin:backup-configurations.create',
        body: CreateBackupConfiguration,
        response: { 200: One },
        detail: { summary: 'Create a backup configuration', description: `A taken name is a 409. ${SECRETS}` },
      },
    )
    .get(
      '/:backup_configuration',
      async ({ params }) => ({
        backup_configuration: toAdminBackupConfiguration(ctx.secrets, await getConfiguration(ctx.db, params.backup_configuration)),
      }),
      {
        permission: READ,
        params: Params,
        response: { 200: One },
        detail: { summary: 'Get a backup configuration' },
      },
    )
    .patch(
      '/:backup_configuration',
      async ({ principal, params, body, request }) => {
        await transaction(ctx.db, async (tx) => {
          const row = await updateConfiguration(tx, ctx.secrets, params.backup_configuration, body)
          await ctx.activity.admin(tx, actorOf(principal, request), 'backup-configuration:update', configurationAudit(row))
        })
        return {}
      },
      {
        permission: [READ, 'admin:backup-configurations.update'],
        params: Params,
        body: UpdateBackupConfiguration,
        response: { 200: Empty },
        detail: {
          summary: 'Update a backup configuration',
          description: `Absent fields stay; \`backup_configs\` replaces the whole object. ${SECRETS}`,
        },
      },
    )
    .delete(
      '/:backup_configuration',
      async ({ principal, params, request }) => {
        await transaction(ctx.db, async (tx) => {
          const row = await deleteConfiguration(tx, params.backup_configuration)
          await ctx.activity.admin(tx, actorOf(principal, request), 'backup-configuration:delete', { uuid: row.uuid, name: row.name })
        })
        return {}
      },
      {
        permission: [READ, 'admin:backup-configurations.delete'],
        params: Params,
        response: { 200: Empty },
        detail: {
          summary: 'Delete a backup configuration',
          description: 'Locations (and later nodes and servers) using it are left without one, as in the reference.',
        },
      },
    )
    .post(
      '/:backup_configuration/duplicate',
      async ({ principal, params, body, request }) => {
        const copy = await transaction(ctx.db, async (tx) => {
          const { source, copy } = await duplicateConfiguration(tx, params.backup_configuration, body.name)
          await ctx.activity.admin(tx, actorOf(principal, request), 'backup-configuration:duplicate', {
            source_uuid: source.uuid,
            source_name: source.name,
            uuid: copy.uuid,
            name: copy.name,
          })
          return copy
        })
        return { backup_configuration: toAdminBackupConfiguration(ctx.secrets, copy) }
      },
      {
        permission: [READ, 'admin:backup-configurations.create'],
        params: Params,
        body: DuplicateBackupConfiguration,
        response: { 200: One },
        detail: { summary: 'Copy a backup configuration under a new name', description: 'A taken name is a 409.' },
      },
    )
    .get(
      '/:backup_configuration/stats',
      async ({ params }) => {
        const row = await getConfiguration(ctx.db, params.backup_configuration)
        return await lists.stats(ctx.db, row.uuid)
      },
      {
        permission: [READ, 'admin:stats.read'],
        params: Params,
        response: { 200: BackupStats },
        detail: {
          summary: 'Backups stored through a configuration, by period',
          description: 'Zeros until the backups plugin provides them.',
        },
      },
    )
    .use(subList('locations', 'locations', 'admin:locations.read', 'Locations using a backup configuration (search: name)'))
    .use(subList('nodes', 'nodes', 'admin:nodes.read', 'Nodes using a backup configuration (search: name)'))
    .use(subList('servers', 'servers', 'admin:servers.read', 'Servers using a backup configuration (search: name)'))
    .use(subList('backups', 'backups', 'admin:backup-configurations.backups', 'Backups stored through a configuration (search: name)'))
}
