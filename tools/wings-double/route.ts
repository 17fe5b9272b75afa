/** The route table's shape: a handler gets the node, the request and its decoded parts. */
import type { Static, TSchema } from '@sinclair/typebox'
import { check, decodeBody, encode } from './http'
import type { WingsNode } from './node'
import type { DoubleServer } from './types'

export class Ctx {
  constructor(
    readonly node: WingsNode,
    readonly request: Request,
    readonly url: URL,
    readonly params: Record<string, string>,
    readonly raw: Uint8Array,
    readonly server: DoubleServer | undefined,
  ) {}

  /** The server of a `/api/servers/{server}/...` route (already resolved: 400/404 otherwise). */
  get target(): DoubleServer {
    return this.server!
  }

  body<T extends TSchema>(schema: T): Static<T> {
    return check(schema, decodeBody(this.request.headers.get('content-type'), this.raw))
  }

  reply(status: number, value: unknown, headers?: Record<string, string>): Response {
    return encode(this.request, status, value, headers)
  }
}

export interface Route {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'
  /** `:name` matches one segment; `:server` also resolves the server (400 invalid uuid, 404 unknown). */
  path: string
  /** Behind `Authorization: Bearer <token>` (spec 04 §1.2); true unless stated. */
  auth?: boolean
  handle(ctx: Ctx): Response | Promise<Response>
}

export interface Match {
  route: Route
  params: Record<string, string>
}

/**
 * The most specific route for a path (fewest parameters, as axum prefers static segments), or the
 * methods the path allows when no route has this method.
 */
export function match(routes: Route[], method: string, path: string): Match | { allowed: string[] } | null {
  const segments = path.split('/')
  const hits: Match[] = []
  for (const route of routes) {
    const pattern = route.path.split('/')
    if (pattern.length !== segments.length) continue
    const params: Record<string, string> = {}
    let ok = true
    for (let i = 0; i < pattern.length && ok; i++) {
      if (pattern[i].startsWith(':') && segments[i] !== '') params[pattern[i].slice(1)] = decodeSegment(segments[i])
      else ok = pattern[i] === segments[i]
    }
    if (ok) hits.push({ route, params })
  }
  if (!hits.length) return null
  const specificity = (m: Match) => Object.keys(m.params).length
  hits.sort((a, b) => specificity(a) - specificity(b))
  const best = hits.filter((m) => specificity(m) === specificity(hits[0]))
  return best.find((m) => m.route.method === method) ?? { allowed: best.map((m) => m.route.method) }
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment)
  } catch {
    return segment
  }
}
