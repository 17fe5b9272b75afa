import { Elysia, t } from 'elysia'
import { actorOf, Empty, uuidParam, type PluginContext } from 'hatchery'
import type { ServersApi } from './api'
import { ServerVariable, UpdateServerVariables } from './model'
import { clearServerState } from './service/clear-state'
import { listServerVariables, updateServerVariables } from './service/server-variables'

const VARIABLES = 'admin:servers.variables' as const

/** `/api/admin/servers/{server}/variables` (spec 02 §8.9) and `POST …/clear-state` (§8.8). */
export function adminServerVariableRoutes(ctx: PluginContext, api: ServersApi) {
  return new Elysia({ tags: ['admin servers'] })
    .use(ctx.guard)
    .get('/servers/:server/variables', async ({ params }) => ({ variables: await listServerVariables(ctx.db, params.server) }), {
      permission: VARIABLES,
      params: uuidParam('server'),
      response: { 200: t.Object({ variables: t.Array(ServerVariable) }) },
      detail: {
        summary: "A server's variables",
        description: "Every variable of the server's egg, in the egg's order, with the server's value (else the default, else `\"\"`).",
      },
    })
    .put(
      '/servers/:server/variables',
      async ({ params, body, principal, request }) => {
        await updateServerVariables(ctx, actorOf(principal, request), params.server, body)
        return {}
      },
      {
        permission: VARIABLES,
        params: uuidParam('server'),
        body: UpdateServerVariables,
        response: { 200: Empty },
        detail: {
          summary: "Set a server's variables",
          description:
            'An env var named twice: 400 `duplicate environment variable: <ENV>`. Every egg variable is checked with the supplied value, else the stored one, else its default: 400 `<ENV>: <why>` (`user_editable` does not apply to admins). Values for env vars the egg lacks are ignored; the others are stored in one transaction. Nothing is pushed to Wings, as in the reference. Logged as `server:variables.update`.',
        },
      },
    )
    .post(
      '/servers/:server/clear-state',
      async ({ params, principal, request }) => {
        await clearServerState(ctx, api, actorOf(principal, request), params.server)
        return {}
      },
      {
        permission: 'admin:servers.update',
        params: uuidParam('server'),
        response: { 200: Empty },
        detail: {
          summary: "Clear a server's status and pending transfer",
          description:
            "Sets the status to null. A pending transfer is dropped: the destination is unset, the server's allocations on other nodes are freed, and the destination node is asked to delete its copy (its failure is logged and ignored; it gets 5 s). Logged as `server:clear-state`.",
        },
      },
    )
}
