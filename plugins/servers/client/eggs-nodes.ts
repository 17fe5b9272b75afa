import { Elysia, t } from 'elysia'
import { and, asc, eq, inArray, sql } from 'drizzle-orm'
import { PageOf, paginate, PaginationQuery, pageParams, uuidParam, type PluginContext, type Principal } from 'hatchery'
import { CommandSnippet, tables as accountTables } from '../../account'
import { model as nestModel, pairsToObject, tables as nestTables } from '../../nests'
import { getNode } from '../../nodes'
import type { ServersApi } from '../api'
import { servers } from '../tables'
import { Utilization } from '../wings/model'
import { readsEveryServer } from './scope'
import { heldBy } from './servers'

const snippets = accountTables.userCommandSnippets
const eggs = nestTables.nestEggs

/** `ApiNestEgg` (spec 03 §6.1). */
const ClientEgg = t.Pick(nestModel.AdminNestEgg, [
  'uuid',
  'name',
  'description',
  'startup_commands',
  'separate_port',
  'features',
  'docker_images',
  'created',
])

/** The eggs of the servers the caller owns, or of every server when they read every server (spec 03 §6.1); or is a subuser of. */
function listClientEggs(ctx: PluginContext, principal: Principal, query: Parameters<typeof pageParams>[0]) {
  const used = ctx.db
    .selectDistinct({ egg: servers.egg_uuid })
    .from(servers)
    .where(readsEveryServer(principal) ? undefined : heldBy(principal.user.uuid))
  return paginate(
    ctx.db,
    {
      from: eggs,
      where: inArray(eggs.uuid, used),
      search: [eggs.name],
      orderBy: [asc(eggs.created), asc(eggs.uuid)],
      map: (e) => ({
        uuid: e.uuid,
        name: e.name,
        description: e.description,
        startup_commands: pairsToObject(e.startup_commands),
        separate_port: e.separate_port,
        features: e.features,
        docker_images: pairsToObject(e.docker_images),
        created: e.created,
      }),
    },
    pageParams(query),
  )
}

/**
 * `GET /api/client/servers/eggs`, `…/eggs/{egg}/command-snippets` and `GET /api/client/servers/nodes/{node}/resources`
 * (spec 03 §6): outside the server scope (no state gate, no server permissions).
 */
export function clientEggNodeRoutes(ctx: PluginContext, api: ServersApi) {
  return new Elysia({ tags: ['client servers'] })
    .use(ctx.guard)
    .get('/servers/eggs', async ({ principal, query }) => ({ nest_eggs: await listClientEggs(ctx, principal, query) }), {
      permission: 'user:servers.read',
      query: PaginationQuery,
      response: { 200: t.Object({ nest_eggs: PageOf(ClientEgg) }) },
      detail: {
        summary: 'The eggs of your servers',
        description:
          'Each egg used by a server you own (every server when you read every server, admin `servers.read`) once, oldest first; `search` matches the name.',
      },
    })
    .get(
      '/servers/eggs/:egg/command-snippets',
      async ({ principal, params }) => ({
        command_snippets: await ctx.db
          .select({ uuid: snippets.uuid, name: snippets.name, eggs: snippets.eggs, command: snippets.command, created: snippets.created })
          .from(snippets)
          .where(
            and(
              eq(snippets.user_uuid, principal.user.uuid),
              sql`(${params.egg}::uuid = any(${snippets.eggs}) or cardinality(${snippets.eggs}) = 0)`,
            ),
          )
          .orderBy(asc(snippets.created), asc(snippets.uuid)),
      }),
      {
        permission: 'user:servers.read',
        params: uuidParam('egg'),
        response: { 200: t.Object({ command_snippets: t.Array(CommandSnippet) }) },
        detail: {
          summary: 'Your command snippets for an egg',
          description: 'Your snippets naming the egg or no egg at all, oldest first. The egg is not checked to exist.',
        },
      },
    )
    .get(
      '/servers/nodes/:node/resources',
      async ({ principal, params }) => {
        let visible: Set<string> | null = null
        if (!readsEveryServer(principal)) {
          const held = await api.reachOnNode.get(`${principal.user.uuid} ${params.node}`, async () => {
            const rows = await ctx.db
              .select({ uuid: servers.uuid })
              .from(servers)
              .where(and(eq(servers.node_uuid, params.node), heldBy(principal.user.uuid)))
            return rows.map((r) => r.uuid)
          })
          if (!held.length) return { resources: {} }
          visible = new Set(held)
        }
        const resources = await api.utilization(await getNode(ctx.db, params.node))
        return { resources: visible ? Object.fromEntries(Object.entries(resources).filter(([uuid]) => visible.has(uuid))) : resources }
      },
      {
        permission: 'user:servers.read',
        params: uuidParam('node'),
        response: { 200: t.Object({ resources: Utilization }) },
        detail: {
          summary: 'Resource usage of your servers on a node',
          description:
            "Wings' usage by server uuid (cached 15 s per node), limited to the servers you own or are a subuser of on the node (that list cached 15 s, cleared when your subusers change) unless you read every server (admin `servers.read`); none: `{}` without asking the node. An unknown node: 404 `node not found`; a node that is down: 502.",
        },
      },
    )
}
