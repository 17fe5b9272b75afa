/** Server lifecycle, power, console and websocket permissions (spec 04 §1.6 B, C; §4.1); backups are in `backups.ts`. */
import { decodeBody, query, WingsError } from './http'
import type { DoubleServer } from './types'
import type { Ctx, Route } from './route'
import { Bodies, firstError, InstallationScript, RemoteServer } from './schemas'

const apiServer = (ctx: Ctx, server: DoubleServer) => ({
  state: server.state,
  is_suspended: server.config.settings.suspended,
  utilization: ctx.node.utilization(server),
  configuration: server.config.settings,
})

/** A structured body the route tolerates when missing or unparsable (L's `sync` and `reinstall`). */
function lenient(ctx: Ctx): Record<string, unknown> | null {
  try {
    const body = decodeBody(ctx.request.headers.get('content-type'), ctx.raw)
    return typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>) : null
  } catch {
    return null
  }
}

function tail(lines: string[], ctx: Ctx): Response {
  const { lines: count } = query(ctx.url, { lines: 'u64?' }) as { lines?: number }
  const shown = count === undefined ? lines : lines.slice(-count || lines.length)
  return new Response(shown.map((line) => `${line}\n`).join(''), { headers: { 'content-type': 'text/plain' } })
}

export const serverRoutes: Route[] = [
  {
    method: 'GET',
    path: '/api/servers',
    handle: (ctx) =>
      ctx.reply(
        200,
        [...ctx.node.servers.values()].map((s) => apiServer(ctx, s)),
      ),
  },
  {
    method: 'POST',
    path: '/api/servers',
    handle: async (ctx) => {
      const body = ctx.body(Bodies.createServer)
      const uuid = body.uuid.toLowerCase()
      const { node } = ctx
      if (node.servers.has(uuid)) throw new WingsError(409, 'server with this uuid already exists')
      // Wings answers only after it has the configuration, so the panel must have committed the row.
      const config = await node.fetchConfiguration(uuid)
      if (node.servers.has(uuid)) throw new WingsError(409, 'server with this uuid already exists')
      const server = node.addServer(uuid, config, body.start_on_completion ?? false)
      if (!body.skip_scripts) node.install(server, false, null)
      return ctx.reply(200, {})
    },
  },
  {
    method: 'GET',
    path: '/api/servers/utilization',
    handle: (ctx) => ctx.reply(200, Object.fromEntries([...ctx.node.servers.values()].map((s) => [s.uuid, ctx.node.utilization(s)]))),
  },
  {
    method: 'POST',
    path: '/api/servers/power',
    handle: (ctx) => {
      const body = ctx.body(Bodies.nodePower)
      const { node } = ctx
      const targets =
        body.servers.type === 'all'
          ? [...node.servers.values()]
          : body.servers.uuids.map((uuid) => node.servers.get(uuid.toLowerCase())).filter((s): s is DoubleServer => !!s)
      let affected = 0
      for (const server of targets) if (node.power(server, body.action)) affected++
      return ctx.reply(202, { affected })
    },
  },
  { method: 'GET', path: '/api/servers/:server', handle: (ctx) => ctx.reply(200, apiServer(ctx, ctx.target)) },
  {
    method: 'DELETE',
    path: '/api/servers/:server',
    handle: (ctx) => {
      const server = ctx.target
      ctx.node.cancel(server.installTimer)
      ctx.node.servers.delete(server.uuid)
      ctx.node.disconnect((data) => data.server === server.uuid, 'server deleted')
      return ctx.reply(200, {})
    },
  },
  {
    method: 'GET',
    path: '/api/servers/:server/utilization',
    handle: (ctx) => ctx.reply(200, { utilization: ctx.node.utilization(ctx.target) }),
  },
  {
    method: 'POST',
    path: '/api/servers/:server/sync',
    handle: async (ctx) => {
      const server = ctx.target
      const { node } = ctx
      const pushed = lenient(ctx)?.server
      let config: RemoteServer | null = null
      if (pushed !== undefined && pushed !== null) {
        const error = firstError(RemoteServer, pushed)
        // Wings drops an unreadable document and re-fetches; the panel's mistake is still recorded.
        if (error) node.problem(`POST /api/servers/${server.uuid}/sync: invalid server configuration: ${error}`)
        else config = pushed as RemoteServer
      }
      if (!config) config = await node.fetchConfiguration(server.uuid).catch(() => null)
      if (config) {
        server.config = config
        if (config.settings.suspended && server.state !== 'offline') node.power(server, 'kill')
      }
      return ctx.reply(200, {})
    },
  },
  {
    method: 'POST',
    path: '/api/servers/:server/power',
    handle: (ctx) => {
      const body = ctx.body(Bodies.power)
      ctx.node.power(ctx.target, body.action)
      return ctx.reply(202, {})
    },
  },
  {
    method: 'POST',
    path: '/api/servers/:server/commands',
    handle: (ctx) => {
      const server = ctx.target
      const body = ctx.body(Bodies.commands)
      if (server.state === 'offline') throw new WingsError(417, 'server is offline')
      for (const command of body.commands) {
        server.console.push(command)
        ctx.node.broadcast(server.uuid, 'console output', [command])
      }
      return ctx.reply(200, {})
    },
  },
  { method: 'GET', path: '/api/servers/:server/logs', handle: (ctx) => tail(ctx.target.console, ctx) },
  {
    method: 'GET',
    path: '/api/servers/:server/logs/install',
    handle: (ctx) => {
      if (!ctx.target.installLog) throw new WingsError(404, 'unable to find installation log file')
      return tail(ctx.target.installLog, ctx)
    },
  },
  {
    method: 'POST',
    path: '/api/servers/:server/reinstall',
    handle: (ctx) => {
      const server = ctx.target
      const body = lenient(ctx) ?? {}
      if (server.installing) throw new WingsError(409, 'server is locked')
      let script = body.installation_script ?? null
      if (script !== null && firstError(InstallationScript, script)) {
        ctx.node.problem(
          `POST /api/servers/${server.uuid}/reinstall: invalid installation_script: ${firstError(InstallationScript, script)}`,
        )
        script = null
      }
      ctx.node.power(server, 'kill')
      if (body.truncate_directory === true) server.files.clear()
      ctx.node.install(server, true, script)
      return ctx.reply(202, {})
    },
  },
  {
    method: 'POST',
    path: '/api/servers/:server/install/abort',
    handle: (ctx) => {
      const server = ctx.target
      if (!server.installing) throw new WingsError(409, 'server is not installing')
      ctx.node.cancel(server.installTimer)
      server.installLog?.push('[double] installation aborted')
      // Wings reports an aborted install as finished successfully.
      ctx.node.later(0, () => ctx.node.finishInstall(server, true))
      server.installing = false
      return ctx.reply(202, {})
    },
  },
  {
    method: 'POST',
    path: '/api/servers/:server/ws/permissions',
    handle: (ctx) => {
      const server = ctx.target
      for (const entry of ctx.body(Bodies.wsPermissions).user_permissions) {
        const user = entry.user.toLowerCase()
        if (entry.permissions.length)
          server.permissions.set(user, { permissions: entry.permissions, ignored_files: entry.ignored_files ?? [] })
        else {
          server.permissions.delete(user)
          ctx.node.disconnect((data) => data.server === server.uuid && data.claims?.user_uuid === user, 'permission revoked')
        }
      }
      return ctx.reply(200, {})
    },
  },
  {
    method: 'POST',
    path: '/api/servers/:server/ws/deny',
    handle: (ctx) => {
      const now = Math.floor(Date.now() / 1000)
      const jtis = ctx.body(Bodies.wsDeny).jtis
      for (const jti of jtis) ctx.node.denied.set(jti, now)
      // Node-wide, like Wings: every open socket of a denied jti loses its token.
      ctx.node.disconnect((data) => jtis.includes(String(data.claims?.jti)) && Number(data.claims?.iat) < now + 1, 'token revoked')
      return ctx.reply(200, {})
    },
  },
  ...(['', '/trigger', '/abort'] as const).map((action): Route => ({
    method: action ? 'POST' : 'GET',
    path: `/api/servers/:server/schedules/:schedule${action}`,
    handle: (ctx) => {
      if (action === '/trigger') ctx.body(Bodies.triggerSchedule)
      const known = ctx.target.config.settings.schedules.some((s) => s.uuid.toLowerCase() === ctx.params.schedule.toLowerCase())
      if (!known) throw new WingsError(404, 'schedule not found')
      return action ? ctx.reply(200, {}) : ctx.reply(200, { status: { running: false, errors: {}, step: null } })
    },
  })),
  {
    method: 'POST',
    path: '/api/deauthorize-user',
    handle: (ctx) => {
      const body = ctx.body(Bodies.deauthorizeUser)
      const user = body.user.toLowerCase()
      const servers = body.servers ?? []
      ctx.node.disconnect(
        (data) => data.claims?.user_uuid === user && (!servers.length || servers.includes(data.server)),
        'permission revoked',
      )
      return ctx.reply(200, {})
    },
  },
]
