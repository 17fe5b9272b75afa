import { Value } from '@sinclair/typebox/value'
import { NAMESPACE_PREFIX } from '../kernel/plugin'
import type { RouteInfo } from '../kernel/routes'
import type { TestApp } from './app'
import { adminCaller, expectGuarded, makeApiKey, plainCaller, type AdminCaller } from './callers'

export interface SweepOptions {
  /** The authenticated namespace to sweep (`remote`: 401 without credentials only; its messages are its authenticator's). */
  namespace: 'client' | 'admin' | 'remote'
  /** Only the routes this plugin declares (default: every plugin's). */
  plugin?: string
  /** Path parameter values by name (default: a well-formed uuid that names nothing). */
  params?: Record<string, string>
  /**
   * Bodies by registered route (`'POST /api/client/greetings'`). Without one a body is made from
   * the route's schema (TypeBox `Value.Create`); a schema that cannot make a valid one (a format,
   * a pattern) needs an entry here, since validation answers 400 before the permission check.
   */
  bodies?: Record<string, unknown>
  /** The administrator whose narrowed API keys are the callers without permission (default: a new one). */
  admin?: AdminCaller
}

const NO_SUCH_UUID = '00000000-0000-4000-8000-000000000000'

function sampleBody(route: RouteInfo, bodies: Record<string, unknown>): unknown {
  const key = `${route.method} ${route.path}`
  if (key in bodies || !route.bodySchema || route.rawBody) return bodies[key]
  try {
    const body = Value.Create(route.bodySchema)
    if (Value.Check(route.bodySchema, body)) return body
  } catch {}
  throw new Error('no valid body can be made from its schema; give one in `bodies`')
}

/**
 * Asserts that every route of a namespace (of one plugin, with `plugin`) answers 401 without
 * credentials, 403 `unauthorized` to a user without admin access (admin namespace), and 403
 * naming its permission to a caller holding every other user and admin permission (an
 * administrator's API key narrowed to all but the route's). Public routes are left out; routes
 * needing a scope permission (`server:…`) and every route of `/api/remote` get the 401 check
 * only. Routes under a scope are swept too: authentication comes before the scope's resolver.
 * Returns the routes it swept.
 * @example const swept = await expectRoutesGuarded(t, { namespace: 'admin', plugin: 'greeter' })
 */
export async function expectRoutesGuarded(t: TestApp, opts: SweepOptions): Promise<RouteInfo[]> {
  const prefix = NAMESPACE_PREFIX[opts.namespace]
  const routes = t.routes
    .all()
    .filter(
      (r) =>
        !r.public &&
        r.method !== 'ALL' &&
        r.method !== 'WS' &&
        (r.path === prefix || r.path.startsWith(prefix + '/')) &&
        (!opts.plugin || r.plugin === opts.plugin),
    )
  if (routes.length === 0) throw new Error(`no guarded ${prefix} routes${opts.plugin ? ` of plugin ${opts.plugin}` : ''}`)
  const pathOf = (route: RouteInfo) =>
    route.path.replace(/:([^/]+)/g, (_m, name: string) => encodeURIComponent(opts.params?.[name] ?? NO_SUCH_UUID))
  if (opts.namespace === 'remote') {
    for (const route of routes) {
      const res = await t.request(route.method, pathOf(route))
      if (res.status !== 401) throw new Error(`${route.method} ${route.path}: ${res.status} without credentials, not 401`)
    }
    return routes
  }
  const admin = opts.admin ?? (await adminCaller(t))
  const plain = opts.namespace === 'admin' ? await plainCaller(t) : null
  const catalog = { user: t.kernel.catalog.list('user'), admin: t.kernel.catalog.list('admin') }
  const keys = new Map<string, Promise<string>>()
  const keyWithout = (specs: string[]) => {
    const id = specs.join(' ')
    if (!keys.has(id)) {
      const lacking = (c: 'user' | 'admin') => catalog[c].filter((p) => !specs.includes(`${c}:${p}`))
      keys.set(
        id,
        makeApiKey(t, admin.cookie, { user_permissions: lacking('user'), admin_permissions: lacking('admin') }).then((k) => k.key),
      )
    }
    return keys.get(id)!
  }
  for (const route of routes) {
    const path = pathOf(route)
    const specs = route.permissions
    const checkable = specs.length > 0 && specs.every((s) => s.startsWith('user:') || s.startsWith('admin:'))
    try {
      const denied = checkable ? [{ token: await keyWithout(specs) }] : []
      const body = checkable ? sampleBody(route, opts.bodies ?? {}) : undefined
      await expectGuarded(
        t,
        { method: route.method, path, body },
        plain,
        denied,
        checkable ? specs[0].slice(specs[0].indexOf(':') + 1) : '',
      )
    } catch (e) {
      throw new Error(`${route.method} ${route.path}: ${(e as Error).message}`)
    }
  }
  return routes
}
