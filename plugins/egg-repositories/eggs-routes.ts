import { Elysia, t } from 'elysia'
import { actorOf, HttpError, PageOf, PaginationQuery, pageParams, transaction, type PluginContext } from 'hatchery'
import { adminEgg, eggAudit, getNest, importEgg, model as nestModel, parseEgg, type NestHooks } from '../nests'
import { EggRepositoryEgg, InstallEgg, InstallEggs } from './model'
import { getRepositoryEgg, listRepositoryEggs, type RepositoryEggRow } from './service/eggs'
import { getRepository } from './service/repositories'
import { Params, READ } from './admin'

const EggParams = t.Object({ ...Params.properties, egg: t.String({ description: 'Repository egg uuid' }) })
const CREATE = 'admin:eggs.create' as const

/** `/api/admin/egg-repositories/{egg_repository}/eggs…`: a repository's eggs, and installing them into a nest. */
export function eggRepositoryEggRoutes(ctx: PluginContext, nests: NestHooks) {
  /** Installs one repository egg into a nest, with its `nest:egg.create` activity, in its own transaction. */
  const install = (nestUuid: string, source: RepositoryEggRow, actor: ReturnType<typeof actorOf>) =>
    transaction(ctx.db, async (tx) => {
      const egg = await importEgg(tx, nestUuid, parseEgg(source.exported_egg), source.uuid)
      await ctx.activity.admin(tx, actor, 'nest:egg.create', eggAudit(egg))
      return egg
    })
  return new Elysia({ prefix: '/egg-repositories/:egg_repository/eggs', tags: ['admin egg repositories'] })
    .use(ctx.guard)
    .get(
      '',
      async ({ params, query }) => {
        const repo = await getRepository(ctx.db, params.egg_repository)
        return { egg_repository_eggs: await listRepositoryEggs(ctx.db, repo.uuid, pageParams(query)) }
      },
      {
        permission: READ,
        params: Params,
        query: PaginationQuery,
        response: { 200: t.Object({ egg_repository_eggs: PageOf(EggRepositoryEgg) }) },
        detail: { summary: "List a repository's eggs by name (search: path or name)" },
      },
    )
    .post(
      '/install',
      async ({ principal, params, body, request }) => {
        const repo = await getRepository(ctx.db, params.egg_repository)
        const nest = await getNest(ctx.db, body.nest_uuid)
        const actor = actorOf(principal, request)
        let installed = 0
        for (const uuid of new Set(body.egg_uuids.map((u) => u.toLowerCase()))) {
          try {
            await install(nest.uuid, await getRepositoryEgg(ctx.db, repo.uuid, uuid), actor)
            installed++
          } catch (e) {
            // Unknown eggs, eggs whose name the nest already has and eggs the importer refuses are skipped.
            if (!(e instanceof HttpError) || ![400, 404, 409].includes(e.status)) throw e
          }
        }
        return { installed }
      },
      {
        permission: [READ, CREATE],
        params: Params,
        body: InstallEggs,
        response: { 200: t.Object({ installed: t.Integer() }) },
        timeout: 120,
        detail: {
          summary: 'Install repository eggs into a nest',
          description:
            '404 `nest not found`. Each egg is imported in its own transaction, linked to its repository egg; eggs of other repositories or unknown ones, and eggs whose name the nest already has, are skipped. `installed` counts the others.',
        },
      },
    )
    .post(
      '/:egg/install',
      async ({ principal, params, body, request }) => {
        const repo = await getRepository(ctx.db, params.egg_repository)
        const source = await getRepositoryEgg(ctx.db, repo.uuid, params.egg)
        const nest = await getNest(ctx.db, body.nest_uuid)
        const egg = await install(nest.uuid, source, actorOf(principal, request))
        return { egg: await adminEgg(ctx.db, nests.repositoryEggs, egg) }
      },
      {
        permission: [READ, CREATE],
        params: EggParams,
        body: InstallEgg,
        response: { 200: t.Object({ egg: nestModel.AdminNestEgg }) },
        detail: {
          summary: 'Install a repository egg into a nest',
          description: `404 \`egg repository egg not found\`, \`nest not found\`; 409 \`egg with name already exists\`. The egg is linked to its repository egg (\`egg_repository_egg\`), so \`update/repository\` can refresh it after a sync.`,
        },
      },
    )
}
