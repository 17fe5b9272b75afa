/**
 * The console websocket `WS /api/servers/{uuid}/ws` (spec 04 §2.1, §2.4): no HTTP auth; the first
 * event must be `auth` with a panel-signed HS256 JWT whose key is the node token.
 */
import type { Server, ServerWebSocket, WebSocketHandler } from 'bun'
import { compactVerify } from 'jose'
import { errorResponse, msgpack } from './http'
import { send, type WingsNode } from './node'
import type { SocketData } from './types'
import type { PowerAction } from './schemas'

/** The names Wings recognises (§2.5); the panel's plural prefixes are accepted too. Others are dropped. */
const VOCABULARY = new Set([
  '*',
  'websocket.connect',
  'control.read-console',
  'control.console',
  'control.start',
  'control.stop',
  'control.restart',
  'admin.websocket.errors',
  'admin.websocket.install',
  'admin.websocket.transfer',
  ...[
    'backup.read',
    'schedule.read',
    'file.read',
    'file.read-content',
    'file.create',
    'file.update',
    'file.delete',
    'file.archive',
    'file.sftp',
  ].flatMap((name) => [name, name.replace(/^(\w+)\./, '$1s.')]),
])

const POWER_PERMISSION: Record<PowerAction, string> = {
  start: 'control.start',
  stop: 'control.stop',
  restart: 'control.restart',
  kill: 'control.stop',
}

type Socket = ServerWebSocket<SocketData & { authenticated?: boolean }>

const can = (socket: Socket, permission: string) => socket.data.permissions.includes('*') || socket.data.permissions.includes(permission)

/** Answers the upgrade request: 400/404 before upgrading, like Wings. */
export function upgrade(node: WingsNode, request: Request, bun: Server<SocketData>, uuid: string): Response | undefined {
  try {
    node.server(uuid)
  } catch (error) {
    const { status, message } = error as { status: number; message: string }
    return errorResponse(request, status, message)
  }
  const data: SocketData = { server: uuid.toLowerCase(), claims: null, permissions: [], binary: false }
  if (bun.upgrade(request, { data })) return undefined
  return errorResponse(request, 400, 'expected a websocket upgrade request')
}

/** Why validated claims are refused (expired, denied, minted before boot, another server), or null. */
function refusal(node: WingsNode, claims: Record<string, any>, server: string): string | null {
  const now = Math.floor(Date.now() / 1000)
  if (typeof claims.exp !== 'number' || claims.exp < now) return 'expired'
  if (claims.nbf !== undefined && claims.nbf !== null && (typeof claims.nbf !== 'number' || claims.nbf > now)) return 'not yet valid'
  if (typeof claims.iat !== 'number' || claims.iat > now || claims.iat < node.bootedAt)
    return 'issued before this node booted or in the future'
  const denied = node.denied.get(claims.jti)
  // Second granularity: a token minted in the second of the deny counts as denied (the panel's fast tests deny right after issuing).
  if (denied !== undefined && claims.iat <= denied) return 'denied'
  if (String(claims.server_uuid).toLowerCase() !== server) return 'for another server'
  return null
}

async function authenticate(node: WingsNode, socket: Socket, token: unknown) {
  let claims: Record<string, any>
  try {
    const { payload } = await compactVerify(String(token ?? ''), new TextEncoder().encode(node.options.token), { algorithms: ['HS256'] })
    claims = JSON.parse(new TextDecoder().decode(payload))
    // Wings' decoder requires these keys; a token without them does not decode.
    if (!Array.isArray(claims.aud) || typeof claims.jti !== 'string' || !Array.isArray(claims.permissions)) throw new Error('claims')
  } catch {
    socket.close(4401, 'invalid token')
    return
  }
  const permissions = (claims.permissions as unknown[]).filter((p): p is string => typeof p === 'string' && VOCABULARY.has(p))
  if (!permissions.includes('websocket.connect') && !permissions.includes('*')) {
    socket.close(4403, 'missing websocket.connect permission')
    return
  }
  const reason = refusal(node, claims, socket.data.server)
  if (reason) {
    socket.data.claims = null
    send(socket, 'token expired', [])
    send(socket, 'jwt error', ['JWT expired'])
    return
  }
  socket.data.claims = claims
  socket.data.permissions = permissions
  send(socket, 'auth success', permissions)
  if (!socket.data.authenticated) {
    socket.data.authenticated = true
    const server = node.servers.get(socket.data.server)
    if (server) send(socket, 'status', [server.state])
  }
}

function decode(message: string | Buffer): { event: string; args: string[] } | string {
  try {
    if (typeof message === 'string') {
      const frame = JSON.parse(message)
      if (typeof frame?.event !== 'string' || !('args' in frame)) return 'missing field `event` or `args`'
      return { event: frame.event, args: Array.isArray(frame.args) ? frame.args.map(String) : [] }
    }
    const frame = msgpack.unpack(message)
    if (!Array.isArray(frame) || typeof frame[0] !== 'string') return 'a binary frame must be [event, args]'
    return { event: frame[0], args: Array.isArray(frame[1]) ? frame[1].map(String) : [] }
  } catch (error) {
    return (error as Error).message
  }
}

export function consoleHandler(node: WingsNode): WebSocketHandler<SocketData> {
  return {
    open(socket) {
      node.sockets.add(socket)
    },
    close(socket) {
      node.sockets.delete(socket)
    },
    async message(socket: Socket, message) {
      const frame = decode(message)
      if (typeof frame === 'string') return send(socket, 'jwt error', [frame])
      if (frame.event === 'auth') return authenticate(node, socket, frame.args[0])
      if (!socket.data.claims) return socket.close(4401, 'not authenticated')
      const server = node.servers.get(socket.data.server)
      if (!server) return socket.close(4404, 'server not found')
      switch (frame.event) {
        case 'configure socket':
          if (frame.args[0] === 'transmission mode') socket.data.binary = frame.args[1] === 'binary'
          return
        case 'ping':
          return send(socket, 'pong', [])
        case 'send status':
          return send(socket, 'status', [server.state])
        case 'send stats':
          return send(socket, 'stats', [JSON.stringify(node.utilization(server))])
        case 'send logs':
          if (server.state !== 'offline') for (const line of server.console.slice(-150)) send(socket, 'console output', [line])
          return
        case 'set state': {
          const action = frame.args[0] as PowerAction
          if (!(action in POWER_PERMISSION)) return send(socket, 'daemon error', ['invalid power action'])
          if (!can(socket, POWER_PERMISSION[action]))
            return send(socket, 'daemon error', ['you do not have permission to perform this action'])
          if (!node.power(server, action)) send(socket, 'daemon message', ['the server cannot be started now'])
          return
        }
        case 'send command': {
          if (!can(socket, 'control.console')) return send(socket, 'daemon error', ['you do not have permission to send commands'])
          if (server.state === 'offline') return send(socket, 'daemon message', ['server is offline'])
          const command = frame.args[0] ?? ''
          server.console.push(command)
          return node.broadcast(server.uuid, 'console output', [command])
        }
      }
    },
  }
}
