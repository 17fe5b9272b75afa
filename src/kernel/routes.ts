import { Memoirist } from 'memoirist'
import type { TSchema } from '@sinclair/typebox'
import type { Principal } from './permissions'

/** Route flags the kernel's macros record in a route's `detail`. */
export const FLAG_PUBLIC = 'x-hatchery-public'
export const FLAG_EXEMPT = 'x-hatchery-exempt'
export const FLAG_RAW_BODY = 'x-hatchery-raw-body'
export const FLAG_PERMISSION = 'x-permission'
export const FLAG_TIMEOUT = 'x-hatchery-timeout'
export const FLAG_BODY_LIMIT = 'x-hatchery-body-limit'
export const FLAG_SCOPE_OPTIONS = 'x-hatchery-scope'
export const FLAG_SCOPE_KEY = 'x-hatchery-scope-key'
export const FLAG_READY = 'x-hatchery-ready'

/**
 * What a route's `ready` function gets: the request, on an authenticated route the caller, and
 * the query typed as the route's query schema says (`{}` without one). It runs synchronously
 * before the route's handler would, and returns the answer when it has it at hand (a cached
 * document), or `undefined` to let the request take the full path.
 */
export interface ReadyContext {
  request: Request
  principal: Principal | undefined
  /** The path's parameters (only a scope's: the lane takes no other parameter routes). */
  params: Record<string, string>
  query: Record<string, unknown>
  /** Under a scope: what its filler's `ready` resolved (as `resource` and `access` in handlers). */
  resource?: unknown
  access?: unknown
}
export type ReadyAnswer = (ctx: ReadyContext) => unknown

/** Gates of the guard that a route may be exempt from (account pages a blocked user still needs). */
export type Gate = 'suspended' | 'two-factor'

export interface RouteInfo {
  method: string
  path: string
  public: boolean
  exempt: ReadonlySet<Gate>
  rawBody: boolean
  /** Largest body the route accepts in bytes, when it declares one above the parsers' 2 MiB. */
  bodyLimit?: number
  /** Seconds the route may take instead of the panel's request timeout; `false`: none (streams). */
  timeout?: number | false
  bodySchema?: TSchema
  querySchema?: TSchema
  permissions: string[]
  /** The plugin whose route group declared it (none for the kernel's own routes). */
  plugin?: string
  /** The scope it is mounted under (`client:thing`), whose resolver runs before it. */
  scope?: string
  /** What it declares with the `scope` macro, for the scope's resolver. */
  scopeOptions: Record<string, unknown>
  /** The key of the `ctx.scope(key)` instance it was declared on (boot checks it is mounted there). */
  declaredScope?: string
  /** The route's synchronous answer for the kernel's ready lane (see `ReadyLane`), if it declares one. */
  ready?: ReadyAnswer
}

interface ElysiaRoute {
  method: string
  path: string
  hooks?: { detail?: Record<string, unknown>; body?: unknown; query?: unknown }
}

/** `/users/:id/keys/:key` and `/users/:user/keys/:k` are the same route to a router. */
export function routeShape(path: string): string {
  return path.replace(/:[^/]+/g, ':').replace(/\/+$/, '') || '/'
}

// Memoirist refuses two names for one parameter position; name them by position.
const numbered = (shape: string) => shape.replace(/:/g, (_m, i: number) => `:p${i}`)

/**
 * Everything the kernel needs to know per mounted route, read once from the built app:
 * public / exempt / raw-body flags set by macros, body schemas (XML coercion), and the
 * methods each path accepts (to answer 405 instead of 404).
 */
export class RouteRegistry {
  private byKey = new Map<string, RouteInfo>()
  private byMethod = new Map<string, Map<string, RouteInfo>>()
  private methods = new Memoirist<Set<string>>()
  private shapes = new Map<string, Set<string>>()
  private router = new Memoirist<RouteInfo>()
  /**
   * Whether a plugin's routes are switched off (answered like unknown routes); synchronous and
   * O(1): it runs on every request. Set by the app from the extension switch.
   */
  hidden: (plugin: string) => boolean = () => false
  /** The largest body any route accepts (2 MiB, or a route's larger `bodyLimit`): bigger requests get 413 before routing. */
  maxBodyLimit = 2 * 1024 * 1024

  /**
   * Reads the built app's routes; `owners` maps `METHOD shape` (see `routeShape`) to the declaring
   * plugin, `scopes` to the scope a route is mounted under.
   */
  load(routes: ElysiaRoute[], owners: ReadonlyMap<string, string> = new Map(), scopes: ReadonlyMap<string, string> = new Map()): void {
    for (const r of routes) {
      const detail = r.hooks?.detail ?? {}
      const body = r.hooks?.body
      const info: RouteInfo = {
        method: r.method,
        path: r.path,
        public: detail[FLAG_PUBLIC] === true,
        exempt: new Set((detail[FLAG_EXEMPT] as Gate[] | undefined) ?? []),
        rawBody: detail[FLAG_RAW_BODY] === true,
        timeout: detail[FLAG_TIMEOUT] as number | false | undefined,
        bodyLimit: detail[FLAG_BODY_LIMIT] as number | undefined,
        bodySchema: body && typeof body === 'object' ? (body as TSchema) : undefined,
        querySchema: r.hooks?.query && typeof r.hooks.query === 'object' ? (r.hooks.query as TSchema) : undefined,
        permissions: (detail[FLAG_PERMISSION] as string[] | undefined) ?? [],
        plugin: owners.get(`${r.method} ${routeShape(r.path)}`),
        scope: scopes.get(`${r.method} ${routeShape(r.path)}`),
        scopeOptions: (detail[FLAG_SCOPE_OPTIONS] as Record<string, unknown> | undefined) ?? {},
        declaredScope: detail[FLAG_SCOPE_KEY] as string | undefined,
        ready: typeof detail[FLAG_READY] === 'function' ? (detail[FLAG_READY] as ReadyAnswer) : undefined,
      }
      this.byKey.set(`${r.method} ${r.path}`, info)
      let paths = this.byMethod.get(r.method)
      if (!paths) this.byMethod.set(r.method, (paths = new Map()))
      paths.set(r.path, info)
      if (info.bodyLimit !== undefined && info.bodyLimit > this.maxBodyLimit) this.maxBodyLimit = info.bodyLimit
      if (r.method === 'ALL' || r.method === 'WS') continue
      const shape = routeShape(r.path)
      this.router.add(r.method, numbered(shape), info, { ignoreError: true })
      let set = this.shapes.get(shape)
      if (!set) {
        set = new Set()
        this.shapes.set(shape, set)
        this.methods.add('ANY', numbered(shape), set)
      }
      set.add(r.method)
    }
  }

  get(method: string, route: string | undefined): RouteInfo | undefined {
    // Per method, then per template: no key string built on every request.
    return route ? this.byMethod.get(method)?.get(route) : undefined
  }

  all(): RouteInfo[] {
    return [...this.byKey.values()]
  }

  /** The route a concrete request path resolves to. */
  match(method: string, path: string): RouteInfo | undefined {
    const trimmed = path.length > 1 ? path.replace(/\/$/, '') : path
    return this.router.find(method, trimmed)?.store
  }

  /** Whether this route is switched off with its plugin (see `hidden`). */
  isHidden(info: RouteInfo): boolean {
    return info.plugin !== undefined && this.hidden(info.plugin)
  }

  /** Methods registered for a concrete request path (empty when the path is unknown); switched-off routes are not. */
  allowedMethods(path: string): string[] {
    const trimmed = path.length > 1 ? path.replace(/\/$/, '') : path
    const hit = this.methods.find('ANY', trimmed)
    if (!hit) return []
    return [...hit.store]
      .filter((m) => {
        const info = this.router.find(m, trimmed)?.store
        return !info || !this.isHidden(info)
      })
      .sort()
  }
}
