import { Elysia, type TSchema } from 'elysia'
import { Forbidden, Unauthorized } from './errors'
import { canEnterAdmin, denied, hasAdminPermission, hasUserPermission, type PermissionCatalog, type Principal } from './permissions'
import {
  FLAG_BODY_LIMIT,
  FLAG_EXEMPT,
  FLAG_PERMISSION,
  FLAG_PUBLIC,
  FLAG_RAW_BODY,
  FLAG_READY,
  FLAG_TIMEOUT,
  type Gate,
  type ReadyAnswer,
  type RouteInfo,
  type RouteRegistry,
} from './routes'
import { requestMeta } from './http'
import {
  checkScopePermission,
  readyScope,
  resolveScope,
  type RemotePrincipal,
  type ScopeKey,
  type ScopeProvider,
  type ScopeSlots,
} from './scope'

/** `user:account.email`, `admin:nodes.update`, `server:files.read`. */
export type PermissionSpec = `${'user' | 'admin' | 'server'}:${string}`

export interface AuthInput {
  request: Request
  ip: string
  method: string
  /** The matched route template, e.g. `/api/client/account/two-factor`. */
  route: string
  namespace: 'client' | 'admin'
  /** Sets a response header (e.g. to refresh a session cookie). */
  setHeader(name: string, value: string): void
}

/**
 * Checks credentials and returns who is calling; throws `Unauthorized`/`Forbidden`. It may answer
 * synchronously when it needs no I/O (credentials cached): the kernel's ready lane then answers
 * a route with a `ready` function without a promise. It must not have side effects beyond what a
 * successful authentication records (it can run twice for one request that leaves the ready lane).
 */
export type Authenticator = (input: AuthInput) => Principal | Promise<Principal>

/** What the remote namespace's authenticator gets (the same as `AuthInput`, without a namespace). */
export type RemoteAuthInput = Omit<AuthInput, 'namespace'>

/** Checks a remote caller's credentials (`/api/remote`) and returns who it is; throws `Unauthorized`/`Forbidden`. */
export type RemoteAuthenticator = (input: RemoteAuthInput) => Promise<RemotePrincipal>

/**
 * Slots a plugin fills. Until an authenticator is provided every guarded route of `/api/client`
 * and `/api/admin` answers 401, and until a remote authenticator is, every one of `/api/remote`.
 * @example ctx.kernel.provideAuthenticator(async ({ request }) => lookup(request), ctx.plugin)
 */
export interface KernelHooks {
  provideAuthenticator(fn: Authenticator, owner: string): void
  /** @example ctx.kernel.provideRemoteAuthenticator(async ({ request }) => ({ machine: await byToken(request) }), ctx.plugin) */
  provideRemoteAuthenticator(fn: RemoteAuthenticator, owner: string): void
  /**
   * Fills a scope (see `ScopeProvider`); a scope filled twice stops boot naming both owners.
   * @example ctx.kernel.provideScope('client:thing', { path: '/things/:thing', resolve: async ({ params, principal }) => … }, ctx.plugin)
   */
  provideScope<K extends ScopeKey>(key: K, provider: ScopeProvider<K>, owner: string): void
}

export interface GuardState {
  id: string
  catalog: PermissionCatalog
  authenticate?: Authenticator
  authenticateRemote?: RemoteAuthenticator
  scopes: ScopeSlots
}

export function kernelHooks(state: GuardState): KernelHooks {
  return {
    provideAuthenticator(fn, owner) {
      if (state.authenticate) throw new Error(`${owner}: an authenticator is already provided`)
      state.authenticate = fn
    },
    provideRemoteAuthenticator(fn, owner) {
      if (state.authenticateRemote) throw new Error(`${owner}: a remote authenticator is already provided`)
      state.authenticateRemote = fn
    },
    provideScope(key, provider, owner) {
      state.scopes.provide(key, provider, owner)
    },
  }
}

function checkPermissions(state: GuardState, request: Request, specs: PermissionSpec[]) {
  const principal = principals.get(request)
  for (const spec of specs) {
    const colon = spec.indexOf(':')
    const catalog = spec.slice(0, colon)
    const permission = spec.slice(colon + 1)
    if (catalog === 'user' || catalog === 'admin') {
      if (!principal) throw new Unauthorized()
      if (!(catalog === 'user' ? hasUserPermission : hasAdminPermission)(principal, permission)) throw denied(permission)
    }
    // Boot makes sure such a route is under a scope of that catalog, whose resolver ran.
    else if (!checkScopePermission(state.scopes, request, principal ?? remotes.get(request), catalog, permission)) {
      throw new Error(`${spec}: no scope of this route checks ${catalog} permissions`)
    }
  }
}

// On the Request under a private symbol (see http.ts): cheaper than a WeakMap entry per request.
const PRINCIPAL = Symbol('hatchery.principal')
const principals = {
  get: (request: Request) => (request as Request & { [PRINCIPAL]?: Principal })[PRINCIPAL],
  set: (request: Request, principal: Principal) => void ((request as Request & { [PRINCIPAL]?: Principal })[PRINCIPAL] = principal),
}

const REMOTE = Symbol('hatchery.remote')
const remotes = {
  get: (request: Request) => (request as Request & { [REMOTE]?: RemotePrincipal })[REMOTE],
  set: (request: Request, remote: RemotePrincipal) => void ((request as Request & { [REMOTE]?: RemotePrincipal })[REMOTE] = remote),
}

/** Who made an authenticated request of `/api/remote` (what the remote authenticator returned). */
export function remoteOf(request: Request): RemotePrincipal | undefined {
  return remotes.get(request)
}

/** Who made an authenticated request (set by its namespace before any handler runs). */
export function principalOf(request: Request): Principal | undefined {
  return principals.get(request)
}

// The principal reaches handlers through Elysia's resolve, only on routes whose options say they
// are authenticated: a `public` route has no `principal` in its context type.
const resolvePrincipal = ({ request }: { request: Request }) => ({ principal: principals.get(request) as Principal })
const resolveRemote = ({ request }: { request: Request }) => ({ remote: remotes.get(request) as RemotePrincipal })

/**
 * The per-app guard plugin. Use it in a plugin's Elysia instance to get the macros; a route gets
 * a typed `principal` when it declares `permission`, `exempt` or `authenticated`:
 * - `permission: 'admin:users.read'` (or a list) — 403 unless the caller holds it;
 * - `authenticated: true` — needs no permission, but reads the principal;
 * - `remote: true` — in `/api/remote`, reads the remote principal (`remote`);
 * - `public: true` — no authentication inside `/api/client` or `/api/admin` (and no principal);
 * - `exempt: ['suspended', 'two-factor']` — reachable by suspended users / users lacking 2FA;
 * - `rawBody: true` — the body is not parsed; read it with `readRawBody`;
 * - `bodyLimit: bytes` — the largest body the route takes, above the parsers' 2 MiB (with
 *   `rawBody`, an upload); the request-wide early 413 then lets bodies up to it through;
 * - `timeout: 120` — seconds this route may take instead of the panel's `REQUEST_TIMEOUT`;
 *   `timeout: false` for streams (file contents, downloads, logs), which then call
 *   `server.timeout(request, seconds)` to keep an idle timeout of their own;
 * - `ready: ({ request, principal, query, params, resource, access }) => answer | undefined` — on
 *   a GET without path parameters but its scope's (whose filler declares `ready` too), the
 *   answer when it is at hand without waiting (a cached document): the kernel's ready lane then
 *   answers without the full pipeline; `undefined` lets the request take it (see plugins/README.md);
 * - `documents: Schema` — the 200 response schema for `/openapi.json` without checking each
 *   answer against it (prefer `response`, which also strips unknown fields, unless the route is hot).
 * @example new Elysia().use(ctx.guard).get('/me', ({ principal }) => ({ uuid: principal.user.uuid }), { authenticated: true })
 */
export function createGuard(state: GuardState) {
  return new Elysia({ name: 'hatchery.guard', seed: state.id }).macro({
    public: (on: boolean) => ({ detail: { [FLAG_PUBLIC]: on, security: [] } as Record<string, unknown> }),
    authenticated: (on: boolean) => (on ? { resolve: resolvePrincipal } : {}),
    remote: (on: boolean) => (on ? { resolve: resolveRemote } : {}),
    exempt: (gates: Gate[]) => ({ detail: { [FLAG_EXEMPT]: gates } as Record<string, unknown>, resolve: resolvePrincipal }),
    rawBody: (on: boolean) => ({ detail: { [FLAG_RAW_BODY]: on } as Record<string, unknown> }),
    bodyLimit: (bytes: number) => {
      if (!(Number.isInteger(bytes) && bytes >= 1)) throw new Error(`bodyLimit must be a whole number of bytes, got ${bytes}`)
      return { detail: { [FLAG_BODY_LIMIT]: bytes } as Record<string, unknown> }
    },
    timeout: (seconds: number | false) => {
      if (seconds !== false && !(Number.isInteger(seconds) && seconds >= 1))
        throw new Error(`timeout must be a whole number of seconds or false, got ${seconds}`)
      return { detail: { [FLAG_TIMEOUT]: seconds } as Record<string, unknown> }
    },
    // The 200 schema for /openapi.json only, without Elysia checking every answer against it:
    // for hot routes that build their answer field by field (a large schema costs ~10 µs).
    documents: (schema: TSchema) => ({
      detail: { responses: { 200: { description: 'Success', content: { 'application/json': { schema } } } } } as Record<string, unknown>,
    }),
    // The route's synchronous answer for the ready lane (see ReadyLane): a GET whose answer is at
    // hand (a cached document) is answered without the full pipeline.
    ready: (fn: ReadyAnswer) => {
      if (typeof fn !== 'function') throw new Error('ready must be a function')
      return { detail: { [FLAG_READY]: fn } as Record<string, unknown> }
    },
    permission: (spec: PermissionSpec | PermissionSpec[]) => {
      const specs = Array.isArray(spec) ? spec : [spec]
      for (const s of specs) {
        const [catalog, permission] = [s.slice(0, s.indexOf(':')), s.slice(s.indexOf(':') + 1)]
        if (!['user', 'admin', 'server'].includes(catalog) || !state.catalog.has(catalog as 'user', permission)) {
          throw new Error(`unknown permission "${s}"`)
        }
      }
      return {
        detail: { [FLAG_PERMISSION]: specs } as Record<string, unknown>,
        resolve: resolvePrincipal,
        beforeHandle: ({ request }: { request: Request }) => checkPermissions(state, request, specs),
      }
    },
  })
}

export type Guard = ReturnType<typeof createGuard>

/**
 * The gates after authentication: suspended users and users missing required 2FA are stopped
 * unless the route is exempt, and `/api/admin` needs the admin flag or an admin permission.
 */
function admit(kind: 'client' | 'admin', info: RouteInfo | undefined, principal: Principal): void {
  if (principal.actor.suspended && !info?.exempt.has('suspended')) throw new Forbidden('account is suspended')
  if (principal.actor.requireTwoFactor && !principal.actor.totpEnabled && !info?.exempt.has('two-factor')) {
    throw new Forbidden('two-factor authentication required')
  }
  if (kind === 'admin' && !canEnterAdmin(principal.user)) throw new Forbidden('unauthorized')
}

const ignore = () => {}

/**
 * For the ready lane: the caller of a request to a `/api/client` or `/api/admin` route, when the
 * authenticator answers synchronously, the caller passes the gates, the route's scope (if any)
 * is resolved by its filler's `ready` (`params`, the path's), and the caller holds the route's
 * permissions. `undefined` otherwise — credentials or scope not at hand, or any refusal, whose
 * answer the full pipeline gives (it authenticates and resolves again).
 */
export function readyPrincipal(
  state: GuardState,
  kind: 'client' | 'admin',
  info: RouteInfo,
  input: Omit<AuthInput, 'namespace'>,
  scope?: { params: Record<string, string>; hidden: (plugin: string) => boolean },
): Principal | undefined {
  if (!state.authenticate) return undefined
  try {
    const principal = state.authenticate({ ...input, namespace: kind })
    if (principal instanceof Promise) {
      // Its outcome is the full pipeline's to give; a refusal here must not be an unhandled rejection.
      principal.catch(ignore)
      return undefined
    }
    admit(kind, info, principal)
    principals.set(input.request, principal)
    if (info.scope) {
      if (!scope) return undefined
      const at = { request: input.request, params: scope.params, principal, ip: input.ip }
      if (!readyScope(state.scopes, info, at, scope.hidden)) return undefined
    }
    checkPermissions(state, input.request, info.permissions as PermissionSpec[])
    return principal
  } catch {
    return undefined
  }
}

/**
 * A namespace (`/api/client`, `/api/admin`, `/api/remote`): every route mounted in it is
 * authenticated unless it is declared `public`; suspended users and users missing required 2FA
 * are stopped unless the route is exempt; `/api/admin` also needs the admin flag or a role with
 * admin permissions; `/api/remote` is authenticated by the remote authenticator instead. Then a
 * route mounted under a scope has its scope resolved (once, before validation and the handler).
 */
export function guardedNamespace(
  kind: 'client' | 'admin' | 'remote',
  prefix: string,
  state: GuardState,
  guard: Guard,
  routes: RouteRegistry,
) {
  return new Elysia({ name: `hatchery.ns.${kind}`, seed: state.id, prefix }).use(guard).onTransform(async (ctx) => {
    const { request, route } = ctx
    const info = routes.get(request.method, route)
    if (info?.public) return
    const meta = requestMeta(request)
    const input = {
      request,
      ip: meta.ip,
      method: request.method,
      route,
      setHeader: (name: string, value: string) => {
        ctx.set.headers[name] = value
      },
    }
    let caller: Principal | RemotePrincipal
    if (kind === 'remote') {
      if (!state.authenticateRemote) throw new Unauthorized('missing authorization')
      caller = await state.authenticateRemote(input)
      remotes.set(request, caller)
    } else {
      if (!state.authenticate) throw new Unauthorized('missing authorization')
      const principal = await state.authenticate({ ...input, namespace: kind })
      admit(kind, info, principal)
      principals.set(request, principal)
      caller = principal
    }
    if (info?.scope) await resolveScope(state.scopes, info, { request, params: ctx.params, principal: caller, ip: meta.ip }, routes.hidden)
  })
}
