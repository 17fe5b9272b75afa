/**
 * A Wings node daemon double that speaks the real wire protocol (spec 04 §4): HTTP via Bun.serve, the
 * console websocket, the callbacks to the panel's `/api/remote`, injectable failures and a request log.
 * It never imports the panel: it is written from Wings' side of the contract.
 *
 * @example
 * const wings = await startWingsDouble({ panelUrl: 'http://127.0.0.1:3000', tokenId, token })
 * // create the node with url = wings.url, deploy a server, then:
 * await wings.idle() // the install callback has been posted
 * expect(wings.servers.get(uuid)?.state).toBe('offline')
 * wings.fail({ kind: 'slow', ms: 20_000, route: 'POST /api/servers' })
 * await wings.stop()
 */
import { createHash, randomUUID, timingSafeEqual } from 'node:crypto'
import type { Server } from 'bun'
import { consoleHandler, upgrade } from './console'
import type { Fault, HttpFault } from './faults'
import { decodeBody, errorResponse, WingsError } from './http'
import { WingsNode } from './node'
import type { SocketData, WingsDoubleOptions } from './types'
import { Ctx, match, type Route } from './route'
import { fileRoutes } from './server-files'
import { serverRoutes } from './servers'
import { systemRoutes } from './system'
import { transferRoutes } from './transfers'
import { scheduleRoutes } from './schedules'
import { backupRoutes } from './backups'

export type { Fault, RoutePattern } from './faults'
export { parseFault } from './faults'
export type { CallbackRecord, DoubleBackup, DoubleServer, LoggedRequest, OutgoingTransfer, ServerState, WingsDoubleOptions } from './types'
export { archiveOf } from './transfers'
export { archiveOf as archiveBackup, extractInto as extractBackup } from './backups'

// The schedule routes come first: they replace the idle stand-ins of servers.ts.
const ROUTES: Route[] = [...scheduleRoutes, ...systemRoutes, ...serverRoutes, ...fileRoutes, ...transferRoutes, ...backupRoutes]

export interface WingsDouble {
  /** `http://host:port`, the node's `url` (and `public_url`) for the panel. */
  url: string
  port: number
  /** Every request received, in order. */
  requests: WingsNode['requests']
  /** Every call made to the panel's `/api/remote`, in order. */
  callbacks: WingsNode['callbacks']
  /** The panel's contract violations the double noticed (bad documents, refused callbacks). */
  problems: WingsNode['problems']
  servers: WingsNode['servers']
  backups: WingsNode['backups']
  /** Outgoing transfers in progress, by server uuid. */
  transfers: WingsNode['transfers']
  /** The live Wings configuration (`GET /api/system/config`). */
  config: WingsNode['config']
  /** Injects a failure; the returned function removes it. */
  fail(fault: Fault): () => void
  /** Removes every injected failure (and listens again if the node was down). */
  heal(): void
  /** Waits until scheduled installs, backups and their callbacks have finished. */
  idle(): Promise<void>
  /** Boots as Wings does: `POST /api/remote/servers/reset`, then every page of `GET /api/remote/servers` (returns how many servers it read). */
  boot(perPage?: number): Promise<number>
  stop(): Promise<void>
}

const digest = (value: string) => createHash('sha256').update(value).digest()

function garbage(fault: Exclude<HttpFault, { kind: 'slow' }>): Response {
  if (fault.kind === 'html')
    return new Response('<!doctype html><html><body><h1>502 Bad Gateway</h1></body></html>', { headers: { 'content-type': 'text/html' } })
  if (fault.kind === 'truncated')
    return new Response('{"total":3,"entries":[{"name":"serv', { headers: { 'content-type': 'application/json' } })
  return new Response(JSON.stringify({ error: 'internal server error' }), {
    status: fault.status ?? 500,
    headers: { 'content-type': 'application/json' },
  })
}

function peek(request: Request, raw: Uint8Array): unknown {
  if (!raw.byteLength) return undefined
  try {
    return decodeBody(request.headers.get('content-type'), raw)
  } catch {
    return new TextDecoder().decode(raw)
  }
}

export async function startWingsDouble(options: WingsDoubleOptions): Promise<WingsDouble> {
  const node = new WingsNode({
    port: 0,
    hostname: '127.0.0.1',
    installDelayMs: 100,
    callbackDelayMs: 20,
    remoteTimeoutMs: 15_000,
    nodeUuid: randomUUID(),
    clockOffsetMs: 0,
    version: '1.0.0-double',
    ...options,
  })
  const token = digest(node.options.token)

  function authorize(request: Request) {
    const header = request.headers.get('authorization') ?? ''
    const space = header.indexOf(' ')
    if (space < 0 || header.slice(0, space) !== 'Bearer') throw new WingsError(401, 'invalid authorization header')
    if (!timingSafeEqual(digest(header.slice(space + 1)), token)) throw new WingsError(401, 'invalid authorization token')
  }

  async function handle(request: Request, bun: Server<SocketData>): Promise<Response | undefined> {
    const url = new URL(request.url)
    const method = request.method
    const raw = method === 'GET' || method === 'HEAD' ? new Uint8Array() : new Uint8Array(await request.arrayBuffer())
    const log = {
      method,
      path: url.pathname,
      query: url.search,
      headers: Object.fromEntries(request.headers),
      body: peek(request, raw),
      status: 0,
      at: new Date(),
    } as WingsNode['requests'][number]
    node.requests.push(log)
    const finish = (response: Response) => (node.schedules.reconcile(), (log.status = response.status), response)

    const faults = node.faults.take(method, url.pathname)
    const delay = faults.reduce((total, fault) => total + (fault.kind === 'slow' ? fault.ms : 0), 0)
    if (delay) {
      log.delayedMs = delay
      await Bun.sleep(delay)
    }
    const bad = faults.find((fault) => fault.kind !== 'slow') as Exclude<HttpFault, { kind: 'slow' }> | undefined
    if (bad) {
      log.fault = bad.kind
      return finish(garbage(bad))
    }

    try {
      const socket = /^\/api\/servers\/([^/]+)\/ws$/.exec(url.pathname)
      if (socket && method === 'GET') {
        const refused = upgrade(node, request, bun, socket[1])
        log.status = refused?.status ?? 101
        return refused
      }
      const found = match(ROUTES, method, url.pathname)
      if (!found) throw new WingsError(404, 'route not found')
      if ('allowed' in found) throw new WingsError(405, 'method not allowed')
      if (found.route.auth !== false) authorize(request)
      const server = found.params.server === undefined ? undefined : node.server(found.params.server)
      return finish(await found.route.handle(new Ctx(node, request, url, found.params, raw, server)))
    } catch (error) {
      if (error instanceof WingsError) {
        log.error = error.message
        return finish(errorResponse(request, error.status, error.message, error.status === 401 ? { 'www-authenticate': 'Bearer' } : {}))
      }
      node.problem(`internal error on ${method} ${url.pathname}: ${(error as Error).stack}`)
      log.error = 'internal server error'
      return finish(errorResponse(request, 500, 'internal server error'))
    }
  }

  const listen = (port: number) =>
    Bun.serve<SocketData>({
      port,
      hostname: node.options.hostname,
      // A slow answer must stay slow: Bun would otherwise drop a connection idle for 10 s.
      idleTimeout: 0,
      fetch: handle,
      websocket: consoleHandler(node),
    })

  let bun: Server<SocketData> | null = listen(node.options.port)
  const port = bun.port!
  node.config.api.port = port
  const url = `http://${node.options.hostname}:${port}`
  // Each `down` fault holds the node down until it (or `heal()`) is cleared.
  const downs = new Set<object>()
  const relisten = () => {
    if (!downs.size && !bun) bun = listen(port)
  }

  return {
    url,
    port,
    requests: node.requests,
    callbacks: node.callbacks,
    problems: node.problems,
    servers: node.servers,
    backups: node.backups,
    transfers: node.transfers,
    config: node.config,
    fail(fault) {
      if (fault.kind !== 'down') return node.faults.add(fault)
      const hold = {}
      downs.add(hold)
      if (bun) {
        node.disconnect(() => true, 'node down')
        void bun.stop(true)
        bun = null
      }
      return () => {
        downs.delete(hold)
        relisten()
      }
    },
    heal() {
      node.faults.clear()
      downs.clear()
      relisten()
    },
    idle: () => node.idle(),
    boot: (perPage) => node.boot(perPage).finally(() => node.schedules.reconcile()),
    async stop() {
      node.close()
      await bun?.stop(true)
      bun = null
      await node.idle()
      for (const server of node.servers.values()) server.files.dispose()
    },
  }
}
