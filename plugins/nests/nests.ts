import { Elysia, t } from 'elysia'
import { actorOf, Empty, PageOf, PaginationQuery, pageParams, transaction, type PluginContext } from 'hatchery'
import { AdminNestEgg, CreateNest, DeleteNest, Nest, UpdateNest } from './model'
import type { NestHooks } from './hooks'
import { createNest, deleteNest, getNest, listNests, nestAudit, toAdminNest, updateNest } from './service/nests'
import { eggDeleteAudit, eggsByNest } from './service/eggs'
import { NestParams, NESTS_READ } from './params'

const One = t.Object({ nest: Nest })

/** `/api/admin/nests`: nest CRUD and every egg grouped by nest. */
export function adminNestRoutes(ctx: PluginContext, hooks: NestHooks) {
  return new Elysia({ prefix: '/nests', tags: ['admin nests'] })
    .use(ctx.guard)
    .get('', async ({ query }) => ({ nests: await listNests(ctx.db, pageParams(query)) }), {
      permission: NESTS_READ,
      query: PaginationQuery,
      response: { 200: t.Object({ nests: PageOf(Nest) }) },
      detail: { summary: 'List nests (search: name)' },
    })
    .post(
      '',
      async ({ principal, body, request }) => {
        const row = await transaction(ctx.db, async (tx) => {
          const row = await createNest(tx, body)
          await ctx.activity.admin(tx, actorOf(principal, request), 'nest:create', nestAudit(row))
          return row
        })
        return { nest: toAdminNest(row) }
      },
      {
        permission: 'admin:nests.create',
        body: CreateNest,
        response: { 200: One },
        detail: { summary: 'Create a nest', description: 'A taken name is 409 `nest with name already exists`.' },
      },
    )
    .get(
      '/eggs',
      async () => ({
        nests: (await eggsByNest(ctx.db, hooks.repositoryEggs)).map((g) => ({ nest: toAdminNest(g.nest), eggs: g.eggs })),
      }),
      {
        permission: 'admin:eggs.read',
        response: { 200: t.Object({ nests: t.Array(t.Object({ nest: Nest, eggs: t.Array(AdminNestEgg) })) }) },
        detail: {
          summary: 'Every egg, grouped by nest',
          description: 'Only nests with at least one egg; groups by nest creation, eggs by creation.',
        },
      },
    )
    .get('/:nest', async ({ params }) => ({ nest: toAdminNest(await getNest(ctx.db, params.nest)) }), {
      permission: NESTS_READ,
      params: NestParams,
      response: { 200: One },
      detail: { summary: 'Get a nest' },
    })
    .patch(
      '/:nest',
      async ({ principal, params, body, request }) => {
        await transaction(ctx.db, async (tx) => {
          const row = await updateNest(tx, params.nest, body)
          await ctx.activity.admin(tx, actorOf(principal, request), 'nest:update', nestAudit(row))
        })
        return {}
      },
      {
        permission: [NESTS_READ, 'admin:nests.update'],
        params: NestParams,
        body: UpdateNest,
        response: { 200: Empty },
        detail: { summary: 'Update a nest', description: 'Absent fields stay; null clears `description`. 409 on a taken name.' },
      },
    )
    .delete(
      '/:nest',
      async ({ principal, params, body, request }) => {
        await transaction(ctx.db, async (tx) => {
          const actor = actorOf(principal, request)
          const row = await deleteNest(tx, params.nest, body?.delete_eggs ?? false, hooks.eggDeletionGuards, (egg) =>
            ctx.activity.admin(tx, actor, 'nest:egg.delete', eggDeleteAudit(egg)),
          )
          await ctx.activity.admin(tx, actor, 'nest:delete', { uuid: row.uuid, author: row.author, name: row.name })
        })
        return {}
      },
      {
        permission: [NESTS_READ, 'admin:nests.delete'],
        params: NestParams,
        body: t.Optional(DeleteNest),
        response: { 200: Empty },
        detail: {
          summary: 'Delete a nest',
          description:
            'A nest with eggs is 409 `nest has eggs, cannot delete` unless `delete_eggs` is true: then its eggs are deleted with it in one transaction, and an egg still in use (a server) makes it 409 `nest has eggs that are still in use, cannot delete` with nothing deleted.',
        },
      },
    )
}
