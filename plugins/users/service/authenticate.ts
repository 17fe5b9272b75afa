import {
  Forbidden,
  Unauthorized,
  cidrContains,
  parseCidr,
  hasAdminPermission,
  type Authenticator,
  type AuthInput,
  type Cidr,
  type PluginContext,
  type Principal,
  type SettingsSnapshot,
} from 'hatchery'
import type { Credentials } from './credentials'
import { API_KEY_LENGTH, SESSION_COOKIE_LENGTH, userAgentOf } from './credentials'
import { readCookie, sessionCookie } from './cookies'
import { principalUserOf, type UserWithRole } from './users'

/** Header carrying the uuid of the user an admin acts as. */
export const IMPERSONATION_HEADER = 'calagopus-user'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

const cidrCache = new Map<string, Cidr | null>()
function cidr(text: string): Cidr | null {
  let c = cidrCache.get(text)
  if (c === undefined) {
    c = parseCidr(text)
    if (cidrCache.size > 5000) cidrCache.clear()
    cidrCache.set(text, c)
  }
  return c
}

const subset = (a: string[], b: string[]) => a.every((x) => b.includes(x))

// The row rides on the principal under a private symbol (a WeakMap entry per request costs more).
const RECORD = Symbol('users.record')
type WithRecord = Principal & { [RECORD]?: UserWithRole }

/**
 * The row of `principal.user` as the authenticator loaded it for this request, so a handler
 * does not load it again.
 */
export function loadedUser(principal: Principal): UserWithRole | undefined {
  return (principal as WithRecord)[RECORD]
}

// Applies `next` to a value that is either at hand or on its way: the authenticator answers
// synchronously when everything it reads is cached, so the kernel's ready lane can use it.
const then = <T, R>(value: T | Promise<T>, next: (v: T) => R | Promise<R>): R | Promise<R> =>
  value instanceof Promise ? value.then(next) : next(value)

interface Authenticated {
  principal: Principal
  record: UserWithRole
}

/**
 * The kernel's authenticate slot: a session cookie (named by `app.session_cookie`) or an
 * `Authorization: Bearer` API key, then optional impersonation through `Calagopus-User`.
 * A present but bad cookie is an error even when an API key is also sent. It answers without a
 * promise when the settings, the credential and the users are cached.
 */
export function createAuthenticator(ctx: PluginContext, credentials: Credentials): Authenticator {
  const bySession = (cookie: string, { request, ip, setHeader }: AuthInput, settings: SettingsSnapshot) => {
    if (cookie.length !== SESSION_COOKIE_LENGTH) throw new Unauthorized('invalid authorization cookie')
    return then(credentials.findSession(cookie, settings.get('app.session_duration_seconds')), (session) => {
      if (!session) throw new Unauthorized('invalid session')
      return then(credentials.user(session.user_uuid), (user): Authenticated => {
        if (!user) throw new Unauthorized('invalid session')
        credentials.touchSession(session.uuid, ip, userAgentOf(request))
        setHeader('set-cookie', sessionCookie(settings, cookie))
        const actor = principalUserOf(user, settings)
        return {
          principal: { user: actor, actor, method: 'session', sessionUuid: session.uuid, apiKey: null, impersonator: null },
          record: user,
        }
      })
    })
  }

  const byApiKey = ({ request, ip }: AuthInput, settings: SettingsSnapshot) => {
    const header = request.headers.get('authorization')
    if (header === null) throw new Unauthorized('missing authorization')
    if (!header.startsWith('Bearer ') || header.length !== 7 + API_KEY_LENGTH) throw new Unauthorized('invalid authorization header')
    return then(credentials.findApiKey(header.slice(7)), (key) => {
      if (!key) throw new Unauthorized('invalid api key')
      if (
        key.allowed_ips.length > 0 &&
        !key.allowed_ips.some((c) => {
          const net = cidr(c)
          return net !== null && cidrContains(net, ip)
        })
      ) {
        throw new Forbidden('ip address not allowed for this api key')
      }
      return then(credentials.user(key.user_uuid), (user): Authenticated => {
        if (!user) throw new Unauthorized('invalid api key')
        credentials.touchApiKey(key.uuid)
        const actor = principalUserOf(user, settings)
        const principal: Principal = {
          user: actor,
          actor,
          method: 'api_key',
          sessionUuid: null,
          apiKey: {
            uuid: key.uuid,
            userPermissions: key.user_permissions,
            adminPermissions: key.admin_permissions,
            serverPermissions: key.server_permissions,
          },
          impersonator: null,
        }
        return { principal, record: user }
      })
    })
  }

  const impersonated = ({ principal, record }: Authenticated, request: Request, settings: SettingsSnapshot) => {
    const target = request.headers.get(IMPERSONATION_HEADER)
    if (
      !target ||
      !UUID.test(target) ||
      target.toLowerCase() === principal.actor.uuid ||
      !hasAdminPermission(principal, 'users.impersonate')
    ) {
      return withRecord(principal, record)
    }
    return then(credentials.user(target.toLowerCase()), (found) => {
      if (!found) throw new Unauthorized('unable to find user from calagopus-user header')
      const other = principalUserOf(found, settings)
      const actor = principal.actor
      const allowed =
        actor.admin ||
        (!other.admin &&
          subset(other.role?.adminPermissions ?? [], actor.role?.adminPermissions ?? []) &&
          subset(other.role?.serverPermissions ?? [], actor.role?.serverPermissions ?? []))
      if (!allowed) throw new Forbidden('cannot impersonate a user with more permissions')
      // Unlike the reference, an API key's scope still narrows what the impersonation can do.
      return withRecord({ ...principal, user: other, impersonator: actor }, found)
    })
  }

  const authenticate = (input: AuthInput, settings: SettingsSnapshot) => {
    const cookie = readCookie(input.request.headers.get('cookie'), settings.get('app.session_cookie'))
    const caller = cookie !== undefined ? bySession(cookie, input, settings) : byApiKey(input, settings)
    return then(caller, (c) => impersonated(c, input.request, settings))
  }

  return (input) => {
    const settings = ctx.settings.cached()
    return settings ? authenticate(input, settings) : ctx.settings.snapshot().then((s) => authenticate(input, s))
  }
}

function withRecord(principal: Principal, record: UserWithRole): Principal {
  ;(principal as WithRecord)[RECORD] = record
  return principal
}
