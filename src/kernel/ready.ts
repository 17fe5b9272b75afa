import { beginRequest, handOver, type Handover, type RequestMeta } from './http'
import { readyPrincipal, type GuardState } from './guard'
import { guardedNamespaceOf } from './plugin'
import type { Cidr } from './net'
import type { RouteInfo, RouteRegistry } from './routes'
import type { Principal } from './permissions'
import { encodeAnswer } from './wire'

export interface ReadyLaneOptions {
  routes: RouteRegistry
  guard: GuardState
  trustedProxies: Cidr[]
  /** The namespace rate limit the full pipeline applies first (the same function). */
  limit(request: Request, meta: RequestMeta, path: string): Promise<void> | void
}

/**
 * The ready lane: a `GET` of a route that declares `ready` is answered without Elysia's pipeline
 * when everything it needs is at hand synchronously — the rate limit counted in this process, the
 * caller's credentials cached (and passing the gates and the route's permissions), and the
 * route's `ready` function returning its answer. The answer is the full pipeline's to the byte:
 * the same encoding per `Accept`, `X-Request-Id`, `Vary` and the authenticator's headers.
 *
 * Anything else leaves the request to the full pipeline, which then gives every error and every
 * other answer: a query string, a percent-escape, a body, `HEAD`, a trailing slash, a path with
 * parameters, a switched-off plugin, credentials to load, a refusal of any kind, a `ready` that
 * returns `undefined` or throws. What the lane did by then (the request id, the rate limit's
 * count) is handed over and not done twice; authentication is done again (it is cached).
 *
 * Why: on the hottest reads the pipeline's hooks, promises and deadline bookkeeping cost more
 * than the answer (bench/README.md, *Ready lane*).
 */
export class ReadyLane {
  private paths = new Map<string, RouteInfo>()
  /** Requests answered by the lane (tests use it to tell the two paths apart). */
  answered = 0

  constructor(private o: ReadyLaneOptions) {
    for (const info of o.routes.all()) {
      if (info.method !== 'GET' || !info.ready || info.scope || info.path.includes(':') || info.path.includes('*')) continue
      this.paths.set(info.path, info)
    }
  }

  /** Whether any route can be answered here (else the app skips the lane). */
  get size(): number {
    return this.paths.size
  }

  /** The response when the lane can give it now; `undefined` leaves the request to the pipeline. */
  answer(request: Request): Response | undefined {
    if (request.method !== 'GET') return undefined
    const url = request.url
    const pathStart = url.indexOf('/', url.indexOf('//') + 2)
    // A query is validated (and may be refused) by the pipeline; a percent-escape too.
    if (url.indexOf('?', pathStart) !== -1 || url.indexOf('%', pathStart) !== -1) return undefined
    const path = url.slice(pathStart)
    const info = this.paths.get(path)
    if (!info || this.o.routes.isHidden(info)) return undefined
    const headers = request.headers
    if (headers.has('content-length') || headers.has('transfer-encoding')) return undefined

    const meta = beginRequest(request, this.o.trustedProxies)
    const handover: Handover = { meta, limited: false }
    try {
      const pending = this.o.limit(request, meta, path)
      handover.limited = true
      if (pending) {
        // The pipeline awaits it; until then a 429 must not count as an unhandled rejection.
        pending.catch(() => {})
        handover.outcome = pending
        return this.leave(request, handover)
      }
    } catch (e) {
      handover.limited = true
      handover.outcome = e
      return this.leave(request, handover)
    }

    let principal: Principal | undefined
    const out: Record<string, string> = { 'x-request-id': meta.id, vary: 'Accept' }
    const kind = info.public ? null : guardedNamespaceOf(path)
    // Nodes' routes (`/api/remote`) are authenticated otherwise: not answered here.
    if (kind === 'remote') return this.leave(request, handover)
    if (kind) {
      principal = readyPrincipal(this.o.guard, kind, info, {
        request,
        ip: meta.ip,
        method: 'GET',
        route: info.path,
        setHeader: (name, value) => void (out[name.toLowerCase()] = value),
      })
      if (!principal) return this.leave(request, handover)
    }

    let body: string | Uint8Array
    let type: string
    try {
      const value = info.ready!({ request, principal })
      if (value === undefined || value instanceof Response) return this.leave(request, handover)
      ;({ body, type } = encodeAnswer(value, meta.format))
    } catch {
      return this.leave(request, handover)
    }
    out['content-type'] = type
    this.answered++
    return new Response(body as ConstructorParameters<typeof Response>[0], { status: 200, headers: out })
  }

  private leave(request: Request, handover: Handover): undefined {
    handOver(request, handover)
    return undefined
  }
}
