import { Elysia, t } from 'elysia'
import { actorOf, type PluginContext } from 'hatchery'
import type { ServersApi } from './api'
import { AdminServer, DeployServer } from './model'
import { adminServer } from './service/admin-servers'
import { deployServer } from './service/deploy'

/** `POST /api/admin/servers/deploy` (spec 02 §8.3): create with the node and allocations chosen by the panel. */
export function adminServerDeployRoutes(ctx: PluginContext, api: ServersApi) {
  return new Elysia({ tags: ['admin servers'] }).use(ctx.guard).post(
    '/servers/deploy',
    async ({ body, principal, request }) => {
      const row = await deployServer(ctx, api, actorOf(principal, request), body)
      return { server: await adminServer(ctx.db, await api.views(), row) }
    },
    {
      permission: 'admin:servers.create',
      body: DeployServer,
      response: { 200: t.Object({ server: AdminServer }) },
      detail: {
        summary: 'Deploy a server: the panel chooses the node and the allocations',
        description: [
          'Checked as create checks (time zone, every egg variable) before any node work.',
          'Candidate nodes: those of `location_uuids` with deployment enabled and not in maintenance, with room for `limits.memory` and `limits.disk` (servers count memory + memory_overhead and disk, suspended ones × `suspension_penalty`; a node limit of 0 is unlimited) unless `allow_overallocation`; best fit first, shuffled by weight when `randomness` > 0.',
          "Allocation rules: `deployment.allocations`, else the egg configuration's deployment rules. When the primary or the additional allocations are not given and rules exist, the first candidate node whose free allocations (minus the ports its Wings reports in use, asked with a 3 s deadline and kept 10 s) satisfy them is chosen; `assign_to_variable` stores the port in that egg variable. With neither allocations given nor rules, the chosen node's first free allocation (any port) becomes the primary (the reference creates the server without one). Allocations given must belong to one node, which is then the only candidate (400 `all allocations must belong to the node`).",
          '400 `could not deploy server: <reason>` when no node qualifies. A deploy that loses an allocation to a concurrent one chooses again (5 times), then 409 `server with allocation(s) or external id already exists`.',
          "Then as create: the rows are committed, Wings is told, and a Wings failure deletes them again (502 `node <name> is unreachable`, or Wings' 409). Logged as `server:create` with the chosen node and allocations.",
        ].join('\n\n'),
      },
    },
  )
}
