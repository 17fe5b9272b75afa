import { Elysia, t } from 'elysia'
import { actorOf, Empty, PageOf, PaginationQuery, pageParams, transaction, type PluginContext } from 'hatchery'
import { AddEggMount, EggMount } from './model'
import { addEggMount, listEggMounts, removeEggMount } from './service/egg-mounts'
import { EggMountParams, EggParams, eggOf, EGGS_READ, NESTS_READ } from './params'

const MOUNTS = [NESTS_READ, EGGS_READ, 'admin:eggs.mounts'] as const

/** `/api/admin/nests/{nest}/eggs/{egg}/mounts`: the mounts an egg offers its servers. */
export function adminEggMountRoutes(ctx: PluginContext) {
  return new Elysia({ prefix: '/nests/:nest/eggs/:egg/mounts', tags: ['admin nests'] })
    .use(ctx.guard)
    .get(
      '',
      async ({ params, query }) => ({ mounts: await listEggMounts(ctx.db, (await eggOf(ctx.db, params)).uuid, pageParams(query)) }),
      {
        permission: [...MOUNTS],
        params: EggParams,
        query: PaginationQuery,
        response: { 200: t.Object({ mounts: PageOf(EggMount) }) },
        detail: { summary: "An egg's mounts (search: mount name)" },
      },
    )
    .post(
      '',
      async ({ principal, params, body, request }) => {
        await transaction(ctx.db, async (tx) => {
          const egg = await eggOf(tx, params)
          await addEggMount(tx, egg.uuid, body.mount_uuid)
          await ctx.activity.admin(tx, actorOf(principal, request), 'nest:egg.mount.create', {
            nest_uuid: egg.nest_uuid,
            egg_uuid: egg.uuid,
            mount_uuid: body.mount_uuid.toLowerCase(),
          })
        })
        return {}
      },
      {
        permission: [...MOUNTS],
        params: EggParams,
        body: AddEggMount,
        response: { 200: Empty },
        detail: {
          summary: 'Link a mount to an egg',
          description: 'Unknown mount: 400 ``invalid relation `mount` provided``; already linked: 409 `mount already exists`.',
        },
      },
    )
    .delete(
      '/:mount',
      async ({ principal, params, request }) => {
        await transaction(ctx.db, async (tx) => {
          const egg = await eggOf(tx, params)
          const mount = await removeEggMount(tx, egg.uuid, params.mount)
          await ctx.activity.admin(tx, actorOf(principal, request), 'nest:egg.mount.delete', {
            nest_uuid: egg.nest_uuid,
            egg_uuid: egg.uuid,
            mount_uuid: mount,
          })
        })
        return {}
      },
      {
        permission: [...MOUNTS],
        params: EggMountParams,
        response: { 200: Empty },
        detail: { summary: 'Unlink a mount from an egg', description: '404 `mount not found` when it is not linked.' },
      },
    )
}
