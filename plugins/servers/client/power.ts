import { Elysia, t } from 'elysia'
import { BadRequest, denied, type PluginContext } from 'hatchery'
import type { ServersApi } from '../api'
import { bulkPower } from '../service/bulk-power'
import { PowerAction, type PowerAction as PowerActionName } from '../wings/model'
import { serverActivity } from './activity'
import { POWER_PERMISSION } from './console'
import { permitsServer, stateGate, visibleServer } from './scope'

const MAX_SERVERS = 100

const Result = t.Union([
  t.Object({ ok: t.Literal(true) }),
  t.Object({ status: t.Integer({ description: '404, 403, 409, 502…' }), error: t.String() }),
])

/**
 * `POST /api/client/servers/power` (not in the reference): one power action on up to 100 servers,
 * each judged like `POST …/{server}/power` through the client scope's own rules.
 */
export function clientBulkPowerRoutes(ctx: PluginContext, api: ServersApi) {
  return new Elysia({ tags: ['client servers'] }).use(ctx.guard).post(
    '/servers/power',
    async ({ principal, request, body }) => {
      const seen = new Set<string>()
      for (const id of body.servers) {
        if (seen.has(id.toLowerCase())) throw new BadRequest(`servers: ${id} is named twice`)
        seen.add(id.toLowerCase())
      }
      const permission = POWER_PERMISSION[body.action as PowerActionName]
      const results = await bulkPower(
        ctx.db,
        api,
        body.servers,
        body.action,
        {
          visible: (id) => visibleServer(ctx.db, api, principal, id),
          gate: (server) => stateGate(server, principal),
          permits: (access) => permitsServer(principal, access, permission),
          denied: () => denied(permission),
        },
        (server, access) =>
          serverActivity(ctx, ctx.db, { principal, request, server, access }, 'server:power.action', { action: body.action }),
      )
      return { results }
    },
    {
      authenticated: true,
      body: t.Object({
        servers: t.Array(t.String({ maxLength: 64, description: 'uuid or 8-hex short id' }), { minItems: 1, maxItems: MAX_SERVERS }),
        action: PowerAction,
      }),
      response: { 200: t.Object({ results: t.Record(t.String(), Result) }) },
      detail: {
        summary: 'Power several servers at once (extension)',
        description:
          'Hatchery extension, not in Calagopus. Up to 100 servers by uuid or short id, no id twice (400). Each is judged like `POST /api/client/servers/{server}/power`: `results` maps every id as sent to `{"ok": true}` or `{"status", "error"}` — 404 `server not found` (not visible), 409 (state gate), 403 (no `control.start`/`control.stop`/`control.restart` for the action, API keys narrowing), 502 (its node is unreachable). One Wings call per node, all nodes at once under the usual deadline: a node that fails fails only its servers. Each powered server logs `server:power.action`.',
      },
    },
  )
}
