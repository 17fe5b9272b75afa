import { Elysia } from 'elysia'
import { denied, type CatalogName, type Principal } from './permissions'
import { NotFound } from './errors'
import { FLAG_SCOPE_KEY, FLAG_SCOPE_OPTIONS, type RouteInfo } from './routes'
import type { Guard } from './guard'

/** The namespaces a scope can live in: the authenticated ones (a scope needs a caller). */
export type ScopeNamespace = 'client' | 'admin' | 'remote'

/** `<namespace>:<name>`, e.g. `client:thing`: the key a plugin fills and other plugins mount routes under. */
export type ScopeKey = `${ScopeNamespace}:${string}`

/**
 * Who called, as the remote namespace's authenticator returned it. Empty in the kernel; the
 * plugin filling the remote authenticate slot adds its fields by declaration merging:
 * @example declare module 'hatchery' { interface RemotePrincipal { machine: Machine } }
 */
export interface RemotePrincipal {}

/**
 * What each scope hands its routes, by key. Empty in the kernel; the plugin filling a scope adds
 * its entry by declaration merging, so the routes of every plugin under it are typed:
 * @example declare module 'hatchery' {
 *   interface Scopes { 'client:thing': { resource: Thing; access: ThingAccess; options: { gate?: boolean } } }
 * }
 */
export interface Scopes {}

/** A scope's types: its entry in `Scopes`, or unknowns for a key nobody declared. */
export type ScopeTypes<K extends ScopeKey> = K extends keyof Scopes
  ? Scopes[K]
  : { resource: unknown; access: unknown; options: Record<string, unknown> }
type Field<K extends ScopeKey, F extends string> = ScopeTypes<K> extends Record<F, infer V> ? V : never
export type ScopeResource<K extends ScopeKey> = Field<K, 'resource'>
export type ScopeAccess<K extends ScopeKey> = Field<K, 'access'>
/** The route options of a scope (the `scope` macro); `{}` when it declares none. */
export type ScopeOptions<K extends ScopeKey> = ScopeTypes<K> extends { options: infer O } ? O : Record<string, never>
type NamespaceOf<K extends ScopeKey> = K extends `${infer N}:${string}` ? N : never
/** The caller a scope's resolver sees: the user principal, or in `remote` the remote principal. */
export type ScopeCaller<K extends ScopeKey> = NamespaceOf<K> extends 'remote' ? RemotePrincipal : Principal

/** What a resolver gets: the request, its path parameters, the caller, and what the route declares. */
export interface ScopeRequest<K extends ScopeKey = ScopeKey> {
  request: Request
  /** Raw path parameters (the scope's own, e.g. `params.thing`, not yet checked). */
  params: Record<string, string>
  principal: ScopeCaller<K>
  ip: string
  route: {
    method: string
    /** The route template, e.g. `/api/client/things/:thing/files`. */
    path: string
    /** The permissions the route declares in the scope's `catalog`, without the catalog (`files.read`). */
    permissions: string[]
    /** What the route declares with the `scope` macro (`{}` when nothing). */
    options: Partial<ScopeOptions<K>>
  }
}

/** What a resolver returns: the loaded resource and the caller's rights on it. */
export interface ScopeResolution<K extends ScopeKey = ScopeKey> {
  resource: ScopeResource<K>
  access: ScopeAccess<K>
}

/**
 * A filled scope. `path` is mounted under the namespace (`/things/:thing` → `/api/client/things/:thing`);
 * `resolve` runs once per request, after authentication and before validation, permission
 * checks and the handler, and throws the kernel's errors (`BadRequest`, `NotFound`, `Forbidden`,
 * `Conflict`…) to refuse. With `catalog`, the permissions of that catalog routes declare
 * (`permission: '<catalog>:group.name'`) are checked by `permits` after validation, like user and
 * admin permissions: 403 naming the permission when it answers false.
 */
export interface ScopeProvider<K extends ScopeKey = ScopeKey> {
  path: string
  resolve(input: ScopeRequest<K>): Promise<ScopeResolution<K>>
  /**
   * For the kernel's ready lane: what `resolve` would return, when it is at hand without waiting
   * (a cache). `undefined`, or a throw, leaves the request to the full pipeline and `resolve`. It
   * must refuse (throw) whatever `resolve` refuses: the lane answers only what `resolve` lets through.
   */
  ready?(input: ScopeRequest<K>): ScopeResolution<K> | undefined
  catalog?: CatalogName
  permits?(input: { principal: ScopeCaller<K>; access: ScopeAccess<K>; permission: string }): boolean
}

interface Filled {
  key: ScopeKey
  owner: string
  provider: ScopeProvider<any>
}

/** A request's resolved scope, kept on the request under a private symbol (see `principalOf`). */
export interface ResolvedScope {
  key: ScopeKey
  resource: unknown
  access: unknown
}

const SCOPE = Symbol('hatchery.scope')
type Carrier = Request & { [SCOPE]?: ResolvedScope }

/**
 * The scope a request resolved (resource and access), or undefined outside a scope. Handlers get
 * them typed from `ctx.scope(key)`; this is for code that only has the request.
 */
export function scopeOf(request: Request): ResolvedScope | undefined {
  return (request as Carrier)[SCOPE]
}

const KEY = /^(client|admin|remote):[a-z][a-z0-9-]*$/

/** Whether a `routes` key names a scope (`client:thing`) rather than a namespace. */
export function isScopeKey(key: string): key is ScopeKey {
  return KEY.test(key)
}

/**
 * The scopes plugins fill (`ctx.kernel.provideScope`), one filler per key and per mount path.
 * Unfilled scopes mount nothing: routes declared under them are left out at boot (logged), so
 * their URLs answer 404 `route not found` like any unknown path.
 */
export class ScopeSlots {
  private filled = new Map<ScopeKey, Filled>()

  provide<K extends ScopeKey>(key: K, provider: ScopeProvider<K>, owner: string): void {
    if (!isScopeKey(key)) throw new Error(`${owner}: scope "${key}" must be <client|admin|remote>:<kebab-name>`)
    const other = this.filled.get(key)
    if (other) throw new Error(`${owner}: scope ${key} is already provided by ${other.owner}`)
    if (typeof provider?.resolve !== 'function') throw new Error(`${owner}: scope ${key} needs resolve()`)
    if (typeof provider.path !== 'string' || !/^(\/[^/]+)+$/.test(provider.path)) {
      throw new Error(`${owner}: scope ${key} path must look like /things/:thing, got "${provider.path}"`)
    }
    if (provider.catalog && typeof provider.permits !== 'function') throw new Error(`${owner}: scope ${key} has a catalog but no permits()`)
    const ns = key.slice(0, key.indexOf(':'))
    for (const f of this.filled.values()) {
      if (f.key.startsWith(`${ns}:`) && f.provider.path.replace(/:[^/]+/g, ':') === provider.path.replace(/:[^/]+/g, ':')) {
        throw new Error(`${owner}: scope ${key} path ${provider.path} is already the path of ${f.key} (${f.owner})`)
      }
    }
    this.filled.set(key, { key, owner, provider })
  }

  get(key: string): Filled | undefined {
    return this.filled.get(key as ScopeKey)
  }

  keys(): ScopeKey[] {
    return [...this.filled.keys()]
  }
}

/**
 * Runs the route's scope resolver once and keeps the result on the request. Called by the
 * namespace guard right after authentication. A switched-off filler answers like an unknown route.
 */
export async function resolveScope(
  slots: ScopeSlots,
  info: RouteInfo,
  input: ScopeInput,
  hidden: (plugin: string) => boolean,
): Promise<void> {
  const filled = slots.get(info.scope!)
  if (!filled || hidden(filled.owner)) throw new NotFound('route not found')
  const result = await filled.provider.resolve(scopeRequest(filled, info, input))
  ;(input.request as Carrier)[SCOPE] = { key: filled.key, resource: result.resource, access: result.access }
}

/**
 * For the ready lane: the route's scope resolved synchronously by its filler's `ready`, kept on
 * the request as `resolveScope` does. False when it is not at hand or refused (the pipeline's then).
 */
export function readyScope(slots: ScopeSlots, info: RouteInfo, input: ScopeInput, hidden: (plugin: string) => boolean): boolean {
  const filled = slots.get(info.scope!)
  if (!filled?.provider.ready || hidden(filled.owner)) return false
  try {
    const result = filled.provider.ready(scopeRequest(filled, info, input))
    if (!result) return false
    ;(input.request as Carrier)[SCOPE] = { key: filled.key, resource: result.resource, access: result.access }
    return true
  } catch {
    return false
  }
}

type ScopeInput = { request: Request; params: Record<string, string>; principal: unknown; ip: string }

function scopeRequest(filled: Filled, info: RouteInfo, input: ScopeInput): ScopeRequest<any> {
  const { catalog } = filled.provider
  const prefix = `${catalog}:`
  return {
    ...input,
    principal: input.principal as never,
    route: {
      method: info.method,
      path: info.path,
      permissions: catalog ? info.permissions.filter((p) => p.startsWith(prefix)).map((p) => p.slice(prefix.length)) : [],
      options: info.scopeOptions as never,
    },
  }
}

/**
 * Checks a permission of a scope's catalog against the request's resolved scope; throws 403
 * naming it. `false` when the request has no scope with that catalog (the caller decides).
 */
export function checkScopePermission(
  slots: ScopeSlots,
  request: Request,
  principal: unknown,
  catalog: string,
  permission: string,
): boolean {
  const resolved = scopeOf(request)
  const filled = resolved && slots.get(resolved.key)
  if (!filled || filled.provider.catalog !== catalog) return false
  if (!filled.provider.permits!({ principal: principal as never, access: resolved.access as never, permission })) throw denied(permission)
  return true
}

/**
 * An Elysia instance for routes under a scope (what `ctx.scope(key)` returns): the guard's macros,
 * the `scope` macro (the scope's route options, given to its resolver), and the resolved
 * `resource` and `access` in every handler (fixed names: a resource named after its scope could
 * hide a context field, e.g. Elysia's `server`). Mount it with the descriptor's
 * `routes: { 'client:thing': … }`.
 */
export function scopeRoutes<K extends ScopeKey>(guard: Guard, key: K) {
  return new Elysia()
    .use(guard)
    .macro({
      scope: (options: Partial<ScopeOptions<K>>) => ({ detail: { [FLAG_SCOPE_OPTIONS]: options } as Record<string, unknown> }),
    })
    .guard({ detail: { [FLAG_SCOPE_KEY]: key } as Record<string, unknown> })
    .resolve(({ request, route }) => {
      const resolved = scopeOf(request)
      if (resolved?.key !== key)
        throw new Error(`${request.method} ${route} uses ctx.scope('${key}') but is not mounted under routes['${key}']`)
      return { resource: resolved.resource as ScopeResource<K>, access: resolved.access as ScopeAccess<K> }
    })
}

/** What `ctx.scope(key)` returns. */
export type ScopedRoutes<K extends ScopeKey> = ReturnType<typeof scopeRoutes<K>>
