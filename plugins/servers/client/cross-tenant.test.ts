// Issue 14's cross-tenant sweep: every route under `/api/client/servers/{server}` (found in the
// route registry, so a route added later is swept too) refuses callers who do not hold the server —
// another owner, a subuser of another server, another user's API key — with 404, by uuid and by
// short id, and none of them changes the server or reaches its node. The owner's API key without
// server permissions gets 403 on every route that needs one.
import { beforeAll, describe, expect, test } from 'bun:test'
import { Value } from '@sinclair/typebox/value'
import { makeApiKey, plainCaller, SETUP_TIMEOUT, useTestApp, type AdminCaller } from 'hatchery/testing'
import { clientKit } from './test-kit'

const t = useTestApp()
const k = clientKit(t)
let victim: string
let other: string
let subuserElsewhere: AdminCaller
let strangerKey: string
let bareOwnerKey: string

const SCOPE = '/api/client/servers/:server'
const routes = () => t.routes.all().filter((r) => r.path === SCOPE || r.path.startsWith(`${SCOPE}/`))

beforeAll(async () => {
  victim = await k.server()
  // Another server, of the stranger, with a subuser holding every permission there.
  other = await k.server({ owner_uuid: k.stranger.uuid })
  subuserElsewhere = await plainCaller(t)
  const invited = await t.request('POST', `/api/client/servers/${other}/subusers`, {
    cookie: k.stranger.cookie,
    body: { email: subuserElsewhere.email, permissions: ['control.console', 'files.read', 'settings.rename'], ignored_files: [] },
  })
  expect(invited.status).toBe(200)
  strangerKey = (await makeApiKey(t, k.stranger.cookie, { user_permissions: ['servers.read'], server_permissions: ['control.console'] }))
    .key
  bareOwnerKey = (await makeApiKey(t, k.owner.cookie, { user_permissions: ['servers.read'] })).key
}, SETUP_TIMEOUT)

/** The route's path with the server named `id`, every other parameter a fresh uuid. */
const pathOf = (path: string, id: string) => path.replace(/:([^/]+)/g, (_m, name: string) => (name === 'server' ? id : crypto.randomUUID()))

describe('/api/client/servers/{server}/** of a server the caller does not hold', () => {
  test('the sweep covers the whole client server area', () => {
    expect(routes().length).toBeGreaterThanOrEqual(25)
  })

  test("another owner, a subuser of another server and another user's API key: 404 on every route, by uuid and short id; nothing changes", async () => {
    const before = await k.row(victim)
    const nodeCalls = () => k.at.wings.requests.filter((r) => r.path.includes(victim)).length
    const calls = nodeCalls()
    const wrong: string[] = []
    const callers = { stranger: { cookie: k.stranger.cookie }, subuser: { cookie: subuserElsewhere.cookie }, key: { token: strangerKey } }
    for (const route of routes()) {
      for (const id of [victim, victim.slice(0, 8), victim.toUpperCase()]) {
        for (const [who, caller] of Object.entries(callers)) {
          const res = await t.request(route.method, pathOf(route.path, id), { ...caller, body: route.method === 'GET' ? undefined : {} })
          if (res.status !== 404 || JSON.stringify(res.body.errors) !== '["server not found"]') {
            wrong.push(`${route.method} ${route.path} (${id.length === 8 ? 'short id' : 'uuid'}, ${who}) → ${res.status}`)
          }
        }
      }
    }
    expect(wrong).toEqual([])
    expect(await k.row(victim)).toEqual(before)
    expect(await k.events(victim)).toEqual([])
    expect(nodeCalls()).toBe(calls)
  }, 120_000)

  test("the owner's API key without server permissions: 403 naming the permission on every route that needs one", async () => {
    const wrong: string[] = []
    let refused = 0
    for (const route of routes()) {
      const needs = route.permissions.find((p) => p.startsWith('server:'))
      if (!needs) continue
      // A body its schema accepts where one can be made, so that validation (which comes first) passes.
      let body: unknown = route.method === 'GET' ? undefined : {}
      try {
        if (route.bodySchema) body = Value.Create(route.bodySchema)
      } catch {}
      const res = await t.request(route.method, pathOf(route.path, victim), { token: bareOwnerKey, body })
      const expected = `you do not have permission to perform this action: ${needs.slice('server:'.length)}`
      // A body no schema default satisfies (a minimum length, a uuid) may still answer 400 first.
      if (res.status === 403 && res.body.errors?.[0] === expected) refused++
      else if (res.status !== 400) {
        wrong.push(`${route.method} ${route.path} → ${res.status} ${JSON.stringify(res.body.errors)}`)
      }
    }
    expect(wrong).toEqual([])
    // With schema-made bodies the 403s are nearly the whole sweep, not an accident.
    expect(refused).toBeGreaterThanOrEqual(15)
  }, 60_000)
})
