import { Elysia, t } from 'elysia'
import { actorOf, BadRequest, Conflict, Empty, NotFound, type PluginContext, type Tx } from 'hatchery'
import type { NestHooks } from './hooks'
import { parseEgg } from './format'
import { updateFrom } from './import-service'
import { DeleteEggs } from './model'
import { EggParams, EGGS_READ, NestParams, NESTS_READ } from './params'
import { getEgg, type EggRow } from './service/eggs'
import { getNest } from './service/nests'

const NOT_LINKED = 'unable to update egg thats not linked to a repository egg'
const HOW =
  "The egg's fields are overwritten from its repository egg as last synced and its variables upserted by `env_variable`, as `update/import` does."

/** `…/eggs/update/repository` and `…/eggs/{egg}/update/repository`: re-import eggs from the repository egg they were installed from. */
export function eggRepositoryUpdateRoutes(ctx: PluginContext, hooks: NestHooks) {
  /** The repository egg's document of a linked egg, parsed; null when the egg is not linked (or the repository egg is gone). */
  const linkedDocument = async (tx: Tx, egg: EggRow) => {
    const source = hooks.repositoryEggs
    if (!source || !egg.egg_repository_egg_uuid) return null
    const doc = await source.document(tx, egg.egg_repository_egg_uuid)
    return doc === null ? null : parseEgg(doc)
  }
  return new Elysia({ prefix: '/nests', tags: ['admin nests'] })
    .use(ctx.guard)
    .post(
      '/:nest/eggs/update/repository',
      async ({ principal, params, body, request }) => {
        const nest = await getNest(ctx.db, params.nest)
        const actor = actorOf(principal, request)
        let updated = 0
        for (const uuid of new Set(body.egg_uuids.map((u) => u.toLowerCase()))) {
          try {
            if (await updateFrom(ctx, nest.uuid, uuid, linkedDocument, actor)) updated++
          } catch (e) {
            // An egg of another nest (404) or whose new name is taken (409) is skipped, as the reference skips it.
            if (!(e instanceof Conflict || e instanceof NotFound)) throw e
          }
        }
        return { updated }
      },
      {
        permission: [NESTS_READ, EGGS_READ, 'admin:eggs.update'],
        params: NestParams,
        body: DeleteEggs,
        response: { 200: t.Object({ updated: t.Integer() }) },
        timeout: 120,
        detail: {
          summary: 'Update eggs from their repository eggs',
          description: `${HOW} Each egg in its own transaction; eggs of other nests, eggs not linked to a repository egg and eggs whose new name is taken are skipped. \`updated\` counts the others.`,
        },
      },
    )
    .post(
      '/:nest/eggs/:egg/update/repository',
      async ({ principal, params, request }) => {
        const nest = await getNest(ctx.db, params.nest)
        await getEgg(ctx.db, nest.uuid, params.egg)
        const done = await updateFrom(ctx, nest.uuid, params.egg, linkedDocument, actorOf(principal, request))
        if (!done) throw new BadRequest(NOT_LINKED)
        return {}
      },
      {
        permission: [NESTS_READ, EGGS_READ, 'admin:eggs.update'],
        params: EggParams,
        response: { 200: Empty },
        detail: {
          summary: 'Update an egg from its repository egg',
          description: `${HOW} 400 \`${NOT_LINKED}\`; 409 \`egg with name already exists\`.`,
        },
      },
    )
}
