import { Elysia, t } from 'elysia'
import { actorOf, PageOf, PaginationQuery, pageParams, transaction, type PluginContext } from 'hatchery'
import { AdminNestEgg, CreateEgg, DeleteEggs, MoveEggs } from './model'
import type { NestHooks } from './hooks'
import { getNest } from './service/nests'
import { adminEgg, createEgg, deleteEggs, eggAudit, eggDeleteAudit, listEggs, moveEggs } from './service/eggs'
import { EGGS_READ, NestParams, NESTS_READ } from './params'

const EGG_RULES =
  'At least one startup command (`at least one startup command is required`); startup commands and docker images unique (`duplicate startup command: <c>`, `duplicate docker image: <i>`); `config_startup.done` may be one string; `config_script.content` (alias `script`) must be present. The order of `startup_commands` and `docker_images` is kept. `egg_repository_egg_uuid` must name an egg of a synced egg repository (400 ``invalid relation `egg_repository_egg` provided``).'

/** `/api/admin/nests/{nest}/eggs`: a nest's eggs, create, bulk move and bulk delete. */
export function adminEggListRoutes(ctx: PluginContext, hooks: NestHooks) {
  return new Elysia({ prefix: '/nests', tags: ['admin nests'] })
    .use(ctx.guard)
    .get(
      '/:nest/eggs',
      async ({ params, query }) => {
        const nest = await getNest(ctx.db, params.nest)
        return { eggs: await listEggs(ctx.db, hooks.repositoryEggs, nest.uuid, pageParams(query)) }
      },
      {
        permission: [NESTS_READ, EGGS_READ],
        params: NestParams,
        query: PaginationQuery,
        response: { 200: t.Object({ eggs: PageOf(AdminNestEgg) }) },
        detail: { summary: "List a nest's eggs (search: name)" },
      },
    )
    .post(
      '/:nest/eggs',
      async ({ principal, params, body, request }) => {
        const row = await transaction(ctx.db, async (tx) => {
          const nest = await getNest(tx, params.nest)
          const row = await createEgg(tx, hooks.repositoryEggs, nest.uuid, body)
          await ctx.activity.admin(tx, actorOf(principal, request), 'nest:egg.create', eggAudit(row))
          return row
        })
        return { egg: await adminEgg(ctx.db, hooks.repositoryEggs, row) }
      },
      {
        permission: [NESTS_READ, 'admin:eggs.create'],
        params: NestParams,
        body: CreateEgg,
        response: { 200: t.Object({ egg: AdminNestEgg }) },
        detail: { summary: 'Create an egg', description: `409 \`egg with name already exists\` (names are unique per nest). ${EGG_RULES}` },
      },
    )
    .post(
      '/:nest/eggs/move',
      async ({ principal, params, body, request }) => {
        const moved = await transaction(ctx.db, async (tx) => {
          const nest = await getNest(tx, params.nest)
          const moved = await moveEggs(tx, nest.uuid, body.egg_uuids, body.destination_nest_uuid)
          const actor = actorOf(principal, request)
          for (const egg of moved) {
            await ctx.activity.admin(tx, actor, 'nest:egg.move', {
              uuid: egg.uuid,
              nest_uuid: nest.uuid,
              destination_nest_uuid: egg.nest_uuid,
            })
          }
          return moved.length
        })
        return { moved }
      },
      {
        permission: [NESTS_READ, 'admin:eggs.update'],
        params: NestParams,
        body: MoveEggs,
        response: { 200: t.Object({ moved: t.Integer() }) },
        detail: {
          summary: "Move some of a nest's eggs to another nest",
          description:
            'Eggs of other nests are ignored. 404 `destination nest not found`, 409 `cannot move egg to the same nest`; a name taken in the destination is 409 `egg with name already exists` and moves nothing (the reference answers 500).',
        },
      },
    )
    .post(
      '/:nest/eggs/delete',
      async ({ principal, params, body, request }) => {
        const deleted = await transaction(ctx.db, async (tx) => {
          const nest = await getNest(tx, params.nest)
          const deleted = await deleteEggs(tx, nest.uuid, body.egg_uuids, hooks.eggDeletionGuards)
          const actor = actorOf(principal, request)
          for (const egg of deleted) await ctx.activity.admin(tx, actor, 'nest:egg.delete', eggDeleteAudit(egg))
          return deleted.length
        })
        return { deleted }
      },
      {
        permission: [NESTS_READ, 'admin:eggs.delete'],
        params: NestParams,
        body: DeleteEggs,
        response: { 200: t.Object({ deleted: t.Integer() }) },
        detail: {
          summary: "Delete some of a nest's eggs",
          description: 'Eggs still in use (servers) and eggs of other nests are skipped.',
        },
      },
    )
}
