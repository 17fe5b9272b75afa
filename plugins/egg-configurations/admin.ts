import { Elysia, t } from 'elysia'
import { actorOf, Empty, PageOf, PaginationQuery, pageParams, transaction, uuidParam, type PluginContext } from 'hatchery'
import { CreateEggConfiguration, DuplicateEggConfiguration, EggConfiguration, UpdateEggConfiguration } from './model'
import {
  adminEggConfiguration,
  createEggConfiguration,
  deleteEggConfiguration,
  duplicateEggConfiguration,
  eggConfigurationAudit,
  getEggConfiguration,
  listEggConfigurations,
  TAKEN,
  TAKEN_ON_CREATE,
  updateEggConfiguration,
} from './service'

const Params = uuidParam('egg_configuration')
const One = t.Object({ egg_configuration: EggConfiguration })
const READ = 'admin:egg-configurations.read' as const
const RULES =
  'Each `eggs` uuid must be an existing egg (400 ``invalid relation `egg` provided``; duplicates dropped). Ports are 1..65535; ' +
  '`user_self_assign` needs `start_port < end_port`, a deployment range may not start after it ends; ' +
  '`add_primary`/`subtract_primary` take an integer 0..65535, `multiply_primary`/`divide_primary` a number above 0.'

/** `/api/admin/egg-configurations`: CRUD and duplicate. */
export function adminEggConfigurationRoutes(ctx: PluginContext) {
  return new Elysia({ prefix: '/egg-configurations', tags: ['admin egg configurations'] })
    .use(ctx.guard)
    .get('', async ({ query }) => ({ egg_configurations: await listEggConfigurations(ctx.db, pageParams(query)) }), {
      permission: READ,
      query: PaginationQuery,
      response: { 200: t.Object({ egg_configurations: PageOf(EggConfiguration) }) },
      detail: { summary: 'List egg configurations by (order, created) (search: name)' },
    })
    .post(
      '',
      async ({ principal, body, request }) => {
        const c = await transaction(ctx.db, async (tx) => {
          const c = await createEggConfiguration(tx, body)
          await ctx.activity.admin(tx, actorOf(principal, request), 'egg-configuration:create', eggConfigurationAudit(c))
          return c
        })
        return { egg_configuration: c }
      },
      {
        permission: 'admin:egg-configurations.create',
        body: CreateEggConfiguration,
        response: { 200: One },
        detail: {
          summary: 'Create an egg configuration',
          description: `A taken name is a 409 \`${TAKEN_ON_CREATE}\` (the reference's wording on create). ${RULES}`,
        },
      },
    )
    .get(
      '/:egg_configuration',
      async ({ params }) => ({
        egg_configuration: await adminEggConfiguration(ctx.db, await getEggConfiguration(ctx.db, params.egg_configuration)),
      }),
      { permission: READ, params: Params, response: { 200: One }, detail: { summary: 'Get an egg configuration' } },
    )
    .patch(
      '/:egg_configuration',
      async ({ principal, params, body, request }) => {
        await transaction(ctx.db, async (tx) => {
          const c = await updateEggConfiguration(tx, params.egg_configuration, body)
          await ctx.activity.admin(tx, actorOf(principal, request), 'egg-configuration:update', eggConfigurationAudit(c))
        })
        return {}
      },
      {
        permission: [READ, 'admin:egg-configurations.update'],
        params: Params,
        body: UpdateEggConfiguration,
        response: { 200: Empty },
        detail: {
          summary: 'Update an egg configuration',
          description: `Absent fields stay; null clears \`description\` and the three \`config_*\` sections; \`eggs\` replaces the list. 409 \`${TAKEN}\`. ${RULES}`,
        },
      },
    )
    .delete(
      '/:egg_configuration',
      async ({ principal, params, request }) => {
        await transaction(ctx.db, async (tx) => {
          const row = await deleteEggConfiguration(tx, params.egg_configuration)
          await ctx.activity.admin(tx, actorOf(principal, request), 'egg-configuration:delete', { uuid: row.uuid, name: row.name })
        })
        return {}
      },
      {
        permission: [READ, 'admin:egg-configurations.delete'],
        params: Params,
        response: { 200: Empty },
        detail: { summary: 'Delete an egg configuration' },
      },
    )
    .post(
      '/:egg_configuration/duplicate',
      async ({ principal, params, body, request }) => {
        const copy = await transaction(ctx.db, async (tx) => {
          const { source, copy } = await duplicateEggConfiguration(tx, params.egg_configuration, body.name)
          await ctx.activity.admin(tx, actorOf(principal, request), 'egg-configuration:duplicate', {
            source_uuid: source.uuid,
            source_name: source.name,
            uuid: copy.uuid,
            name: copy.name,
          })
          return copy
        })
        return { egg_configuration: copy }
      },
      {
        permission: [READ, 'admin:egg-configurations.create'],
        params: Params,
        body: DuplicateEggConfiguration,
        response: { 200: One },
        detail: {
          summary: 'Copy an egg configuration under a new name',
          description: `Copies the description, order, eggs and the three sections. 409 \`${TAKEN}\`.`,
        },
      },
    )
}
