import { Elysia, t } from 'elysia'
import { actorOf, Empty, PageOf, PaginationQuery, pageParams, transaction, type PluginContext } from 'hatchery'
import { AdminNestEgg, DuplicateEgg, MoveEgg, UpdateEgg } from './model'
import type { NestHooks } from './hooks'
import { adminEgg, deleteEggRow, duplicateEgg, eggAudit, eggDeleteAudit, moveEgg, updateEgg } from './service/eggs'
import { EggParams, eggOf, EGGS_READ, NESTS_READ } from './params'

const One = t.Object({ egg: AdminNestEgg })
const READ = [NESTS_READ, EGGS_READ] as const
const Unprovided = t.Object({}, { additionalProperties: true })

/** `/api/admin/nests/{nest}/eggs/{egg}`: one egg (it must belong to the nest: 404 `egg not found` otherwise). */
export function adminEggRoutes(ctx: PluginContext, hooks: NestHooks) {
  return new Elysia({ prefix: '/nests/:nest/eggs/:egg', tags: ['admin nests'] })
    .use(ctx.guard)
    .get('', async ({ params }) => ({ egg: await adminEgg(ctx.db, hooks.repositoryEggs, await eggOf(ctx.db, params)) }), {
      permission: [...READ],
      params: EggParams,
      response: { 200: One },
      detail: { summary: 'Get an egg' },
    })
    .patch(
      '',
      async ({ principal, params, body, request }) => {
        await transaction(ctx.db, async (tx) => {
          const row = await updateEgg(tx, hooks.repositoryEggs, await eggOf(tx, params, true), body)
          await ctx.activity.admin(tx, actorOf(principal, request), 'nest:egg.update', eggAudit(row))
        })
        return {}
      },
      {
        permission: [...READ, 'admin:eggs.update'],
        params: EggParams,
        body: UpdateEgg,
        response: { 200: Empty },
        detail: {
          summary: 'Update an egg',
          description:
            'Absent fields stay; null clears `description` and `egg_repository_egg_uuid`. The rules of create apply; 409 on a taken name.',
        },
      },
    )
    .delete(
      '',
      async ({ principal, params, request }) => {
        await transaction(ctx.db, async (tx) => {
          const egg = await eggOf(tx, params, true)
          await deleteEggRow(tx, egg, hooks.eggDeletionGuards)
          await ctx.activity.admin(tx, actorOf(principal, request), 'nest:egg.delete', eggDeleteAudit(egg))
        })
        return {}
      },
      {
        permission: [...READ, 'admin:eggs.delete'],
        params: EggParams,
        response: { 200: Empty },
        detail: {
          summary: 'Delete an egg',
          description: 'An egg still in use is 409 (`egg has servers, cannot delete`, from the servers plugin).',
        },
      },
    )
    .post(
      '/duplicate',
      async ({ principal, params, body, request }) => {
        const copy = await transaction(ctx.db, async (tx) => {
          const egg = await eggOf(tx, params)
          const copy = await duplicateEgg(tx, egg, body)
          await ctx.activity.admin(tx, actorOf(principal, request), 'egg:duplicate', {
            nest_uuid: egg.nest_uuid,
            target_nest_uuid: copy.nest_uuid,
            source_uuid: egg.uuid,
            source_name: egg.name,
            uuid: copy.uuid,
            name: copy.name,
          })
          return copy
        })
        return { egg: await adminEgg(ctx.db, hooks.repositoryEggs, copy) }
      },
      {
        permission: [...READ, 'admin:eggs.create'],
        params: EggParams,
        body: DuplicateEgg,
        response: { 200: One },
        detail: {
          summary: 'Copy an egg under a new name into a nest',
          description:
            'Copies every field, the variables and the mount links; not the repository link. 404 `target nest not found`, 409 `egg with name already exists`.',
        },
      },
    )
    .post(
      '/move',
      async ({ principal, params, body, request }) => {
        await transaction(ctx.db, async (tx) => {
          const egg = await eggOf(tx, params, true)
          const destination = await moveEgg(tx, egg, body.destination_nest_uuid)
          await ctx.activity.admin(tx, actorOf(principal, request), 'nest:egg.move', {
            uuid: egg.uuid,
            nest_uuid: egg.nest_uuid,
            destination_nest_uuid: destination,
          })
        })
        return {}
      },
      {
        permission: [...READ, 'admin:eggs.update'],
        params: EggParams,
        body: MoveEgg,
        response: { 200: Empty },
        detail: {
          summary: 'Move an egg to another nest',
          description:
            '404 `destination nest not found`, 409 `cannot move egg to the same nest`; a name taken there is 409 `egg with name already exists` (the reference answers 500).',
        },
      },
    )
    .get(
      '/servers',
      async ({ params, query }) => {
        const egg = await eggOf(ctx.db, params)
        return { servers: await hooks.lists.list('servers', ctx.db, egg.uuid, pageParams(query)) } as never
      },
      {
        permission: [...READ, 'admin:servers.read'],
        params: EggParams,
        query: PaginationQuery,
        response: { 200: t.Object({ servers: PageOf(hooks.lists.model('servers', Unprovided)) }) },
        detail: {
          summary: 'The servers using an egg (search: server name)',
          description: 'An empty page until the servers plugin provides it.',
        },
      },
    )
}
