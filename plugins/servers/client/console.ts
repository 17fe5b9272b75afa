import { t } from 'elysia'
import { BadRequest, denied, Empty, NotFound, type PluginContext } from 'hatchery'
import { getNode } from '../../nodes'
import type { ServersApi } from '../api'
import { consoleCredentials } from '../service/console-token'
import { ResourceUsage, type PowerAction as Action } from '../wings/model'
import { serverActivity } from './activity'
import { permitsServer } from './scope'

const ActionName = t.Union((['start', 'stop', 'restart', 'kill'] as const).map((a) => t.Literal(a)))
const TAG = { tags: ['client servers'] }
const UNREACHABLE = 'A node that is down, late or answering garbage is 502 `node <name> is unreachable`.'

/** The server permission each power action needs (spec 03 §2.1): `kill` is a `control.stop`. */
export const POWER_PERMISSION: Record<Action, string> = {
  start: 'control.start',
  stop: 'control.stop',
  restart: 'control.restart',
  kill: 'control.stop',
}

/**
 * Console and runtime (spec 03 §2.1–§2.5): `POST …/power`, `POST …/command`, `GET …/resources`,
 * `GET …/websocket` and `GET …/logs` under the `client:server` scope.
 */
export function clientConsoleRoutes(ctx: PluginContext, api: ServersApi) {
  const wingsOf = async (nodeUuid: string) => api.wings(await getNode(ctx.db, nodeUuid))
  return ctx
    .scope('client:server')
    .post(
      '/power',
      async ({ principal, request, resource: server, access, body }) => {
        const action = (body.action ?? body.signal) as Action | undefined
        if (!action) throw new BadRequest('action: missing')
        if (!permitsServer(principal, access, POWER_PERMISSION[action])) throw denied(POWER_PERMISSION[action])
        await (await wingsOf(server.node_uuid)).power(server.uuid, action)
        await serverActivity(ctx, ctx.db, { principal, request, server, access }, 'server:power.action', { action })
        return {}
      },
      {
        authenticated: true,
        // Plain literals: an optional `t.UnionEnum` would be filled with its first member by Elysia.
        body: t.Object({ action: t.Optional(ActionName), signal: t.Optional(ActionName) }),
        response: { 200: Empty },
        detail: {
          ...TAG,
          summary: 'Start, stop, restart or kill the server',
          description: `\`action\` (or its alias \`signal\`) needs \`control.start\`, \`control.stop\` (stop and kill) or \`control.restart\`; 403 naming it otherwise. Logged as \`server:power.action\`. ${UNREACHABLE}`,
        },
      },
    )
    .post(
      '/command',
      async ({ principal, request, resource: server, access, body }) => {
        await (await wingsOf(server.node_uuid)).sendCommands(server.uuid, [body.command])
        await serverActivity(ctx, ctx.db, { principal, request, server, access }, 'server:console.command', { command: body.command })
        return {}
      },
      {
        permission: 'server:control.console',
        body: t.Object({ command: t.String({ minLength: 1, maxLength: 1024 }) }),
        response: { 200: Empty },
        detail: {
          ...TAG,
          summary: 'Send a console command',
          description: `Wings answers 417 \`server is offline\` for a server that is not running (passed through). Logged as \`server:console.command\`. ${UNREACHABLE}`,
        },
      },
    )
    .get(
      '/resources',
      async ({ resource: server }) => {
        const usage = (await api.utilization(await getNode(ctx.db, server.node_uuid)))[server.uuid]
        if (!usage) throw new NotFound('no resource usage data found for server')
        return { resources: usage }
      },
      {
        authenticated: true,
        response: { 200: t.Object({ resources: ResourceUsage }) },
        detail: {
          ...TAG,
          summary: "The server's resource usage",
          description: `Any caller who sees the server. The node's utilization, kept 15 s; 404 \`no resource usage data found for server\` when Wings reports none. ${UNREACHABLE}`,
        },
      },
    )
    .get(
      '/websocket',
      async ({ principal, resource: server, access }) =>
        consoleCredentials(ctx.db, await ctx.settings.snapshot(), { principal, server, access, wings: await wingsOf(server.node_uuid) }),
      {
        authenticated: true,
        scope: { stateGate: false },
        response: { 200: t.Object({ token: t.String(), url: t.String({ format: 'uri' }) }) },
        detail: {
          ...TAG,
          summary: 'Console websocket credentials',
          description:
            "`url` is the node's public websocket (`ws(s)://…/api/servers/{uuid}/ws`); send `auth` with `token` first. The token is an HS256 JWT signed with the node token, valid 600 s, `jti` = your user uuid, with the permissions of spec 04 §2.6 (narrowed by an API key). Answers for a server in any state.",
        },
      },
    )
    .get(
      '/logs',
      async ({ resource: server, query }) => {
        const log = await (await wingsOf(server.node_uuid)).serverLogs(server.uuid, query.lines ?? 100)
        return new Response(log, { headers: { 'content-type': 'text/plain' } })
      },
      {
        permission: 'server:control.read-console',
        query: t.Object({ lines: t.Optional(t.Integer({ minimum: 1, maximum: 1000, default: 100, description: 'Lines from the end' })) }),
        documents: t.String(),
        detail: { ...TAG, summary: "The server's console log", description: `The last \`lines\` lines, \`text/plain\`. ${UNREACHABLE}` },
      },
    )
}
