import { Elysia, t } from 'elysia'
import { and, asc, eq, sql } from 'drizzle-orm'
import { uuidParam, type PluginContext } from 'hatchery'
import { CommandSnippet, tables as accountTables } from '../../account'
import { getNode } from '../../nodes'
import type { ServersApi } from '../api'
import { servers } from '../tables'
import { Utilization } from '../wings/model'
import { readsEveryServer } from './scope'

const snippets = accountTables.userCommandSnippets

/**
 * `GET /api/client/servers/eggs/{egg}/command-snippets` and `GET /api/client/servers/nodes/{node}/resources`
 * (spec 03 §6): outside the server scope (no state gate, no server permissions).
 */
export function clientEggNodeRoutes(ctx: PluginContext, api: ServersApi) {
  return new Elysia({ tags: ['client servers'] })
    .use(ctx.guard)
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
          const rows = await ctx.db
            .select({ uuid: servers.uuid })
            .from(servers)
            .where(and(eq(servers.node_uuid, params.node), eq(servers.owner_uuid, principal.user.uuid)))
          visible = new Set(rows.map((r) => r.uuid))
          if (!visible.size) return { resources: {} }
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
            "Wings' usage by server uuid (cached 15 s), limited to the servers you own on the node unless you read every server (admin `servers.read`); none: `{}` without asking the node. An unknown node: 404 `node not found`; a node that is down: 502.",
        },
      },
    )
}
