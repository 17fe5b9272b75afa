import { Elysia, t } from 'elysia'
import { actorOf, Empty, PageOf, PaginationQuery, pageParams, transaction, uuidParam, type PluginContext } from 'hatchery'
import { CreateEggRepository, EggRepository, UpdateEggRepository } from './model'
import {
  createRepository,
  deleteRepository,
  getRepository,
  listRepositories,
  repositoryAudit,
  TAKEN,
  toEggRepository,
  updateRepository,
  type WriteContext,
} from './service/repositories'
import { syncRepository } from './service/sync'

export const Params = uuidParam('egg_repository')
export const READ = 'admin:egg-repositories.read' as const
const One = t.Object({ egg_repository: EggRepository })
const CREDENTIALS =
  'Credentials are write-only: the password is stored encrypted and reads as `""`; a PATCH with `password: ""` keeps the stored one.'

/** `/api/admin/egg-repositories`: CRUD and sync. */
export function adminEggRepositoryRoutes(ctx: PluginContext) {
  const settings = async () => {
    const s = await ctx.settings.snapshot()
    return { allowLocal: s.get('egg_repositories.allow_local'), allowPrivate: s.get('outbound.allow_private_addresses') }
  }
  const writing = async (): Promise<WriteContext> => ({ secrets: ctx.secrets, allowLocal: (await settings()).allowLocal })
  return new Elysia({ prefix: '/egg-repositories', tags: ['admin egg repositories'] })
    .use(ctx.guard)
    .get('', async ({ query }) => ({ egg_repositories: await listRepositories(ctx.db, pageParams(query)) }), {
      permission: READ,
      query: PaginationQuery,
      response: { 200: t.Object({ egg_repositories: PageOf(EggRepository) }) },
      detail: { summary: 'List egg repositories by creation (search: name)' },
    })
    .post(
      '',
      async ({ principal, body, request }) => {
        const w = await writing()
        const row = await transaction(ctx.db, async (tx) => {
          const row = await createRepository(tx, w, body)
          await ctx.activity.admin(tx, actorOf(principal, request), 'egg-repository:create', repositoryAudit(row))
          return row
        })
        return { egg_repository: toEggRepository(row) }
      },
      {
        permission: 'admin:egg-repositories.create',
        body: CreateEggRepository,
        response: { 200: One },
        detail: { summary: 'Create an egg repository', description: `409 \`${TAKEN}\`. ${CREDENTIALS}` },
      },
    )
    .get(
      '/:egg_repository',
      async ({ params }) => ({ egg_repository: toEggRepository(await getRepository(ctx.db, params.egg_repository)) }),
      {
        permission: READ,
        params: Params,
        response: { 200: One },
        detail: { summary: 'Get an egg repository' },
      },
    )
    .patch(
      '/:egg_repository',
      async ({ principal, params, body, request }) => {
        const w = await writing()
        await transaction(ctx.db, async (tx) => {
          const row = await updateRepository(tx, w, params.egg_repository, body)
          await ctx.activity.admin(tx, actorOf(principal, request), 'egg-repository:update', repositoryAudit(row))
        })
        return {}
      },
      {
        permission: [READ, 'admin:egg-repositories.update'],
        params: Params,
        body: UpdateEggRepository,
        response: { 200: Empty },
        detail: {
          summary: 'Update an egg repository',
          description: `Absent fields stay; null clears \`description\`. 409 \`${TAKEN}\`. ${CREDENTIALS}`,
        },
      },
    )
    .delete(
      '/:egg_repository',
      async ({ principal, params, request }) => {
        await transaction(ctx.db, async (tx) => {
          const row = await deleteRepository(tx, params.egg_repository)
          const { uuid, name, git_repository } = row
          await ctx.activity.admin(tx, actorOf(principal, request), 'egg-repository:delete', { uuid, name, git_repository })
        })
        return {}
      },
      {
        permission: [READ, 'admin:egg-repositories.delete'],
        params: Params,
        response: { 200: Empty },
        detail: {
          summary: 'Delete an egg repository',
          description: 'Its eggs go with it; eggs installed from them stay in their nests, no longer linked (`egg_repository_egg` null).',
        },
      },
    )
    .post(
      '/:egg_repository/sync',
      async ({ params }) => {
        const repo = await getRepository(ctx.db, params.egg_repository)
        return { found: await syncRepository(ctx.db, repo, { secrets: ctx.secrets, ...(await settings()) }) }
      },
      {
        permission: [READ, 'admin:egg-repositories.sync'],
        params: Params,
        response: { 200: t.Object({ found: t.Integer() }) },
        timeout: 150,
        detail: {
          summary: 'Sync an egg repository',
          description:
            "Clones the repository (one commit, through the panel's outbound guard: no private, loopback or reserved address and no plain http unless `outbound.allow_private_addresses`; at most 120 s) or reads a local one, and records every `*.json`, `*.yml`, `*.yaml` file of at most 1 MiB that any egg import accepts (Pterodactyl, Pelican, Calagopus), with the nearest README. Eggs whose file is gone are removed (installed copies stay, unlinked). `found` counts the eggs. A repository the panel refuses to reach is a 417, one that cannot be cloned or read a 502, each with the reason.",
        },
      },
    )
}
