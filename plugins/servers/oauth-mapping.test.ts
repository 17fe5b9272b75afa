import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { and, eq } from 'drizzle-orm'
import { transaction } from 'hatchery'
import { adminCallers, login, makeUser, SETUP_TIMEOUT, useTestApp, type AdminCaller } from 'hatchery/testing'
import oauthPlugin from '../oauth'
import { applyMappings } from '../oauth/service/mappings'
import { makeEgg, nodeOnDouble, ownedServer, type DoubleNode } from './test-fixtures'
import { serverSubusers } from './tables'

const t = useTestApp()
let admin: AdminCaller
let owner: AdminCaller
let at: DoubleNode
let egg: { uuid: string }

beforeAll(async () => {
  ;({ admin, plain: owner } = await adminCallers(t, ['servers.read']))
  at = await nodeOnDouble(t, admin)
  egg = await makeEgg(t)
}, SETUP_TIMEOUT)
afterAll(() => at?.wings.stop())

const uniq = () => Math.random().toString(36).slice(2, 8)
const db = () => t.kernel.database.db
const types = () => t.kernel.contexts.get('servers')!.api(oauthPlugin).mappingTypes

const server = () => ownedServer(t, admin, at, owner, egg)

async function provider(): Promise<string> {
  const res = await t.request('POST', '/api/admin/oauth-providers', {
    cookie: admin.cookie,
    body: {
      name: `prov_${uniq()}`,
      description: null,
      enabled: true,
      login_only: false,
      login_bypass_2fa: false,
      link_viewable: true,
      user_manageable: true,
      basic_auth: false,
      client_id: 'panel-client',
      client_secret: 'secret-value',
      auth_url: 'https://id.example.com/authorize',
      token_url: 'https://id.example.com/token',
      info_url: 'https://id.example.com/userinfo',
      scopes: ['openid'],
      identifier_path: '$.sub',
      email_path: '$.email',
      username_path: null,
      name_first_path: null,
      name_last_path: null,
    },
  })
  expect(res.status).toBe(200)
  return res.body.oauth_provider.uuid
}

const mapping = (server_uuid: string, o: Record<string, unknown> = {}) => ({
  type: 'server_subuser',
  server_uuid,
  permissions: ['control.console', 'files.read'],
  ignored_files: ['secret.txt'],
  ...o,
})
const grant = async (server: string, user: string) =>
  (
    await db()
      .select({ permissions: serverSubusers.permissions, ignored_files: serverSubusers.ignored_files })
      .from(serverSubusers)
      .where(and(eq(serverSubusers.server_uuid, server), eq(serverSubusers.user_uuid, user)))
  )[0]
const signIn = (prov: string, user: string, info: unknown) =>
  transaction(db(), (tx) => applyMappings(tx, types(), t.kernel.log, prov, user, ['openid'], info))

describe('oauth server_subuser mappings', () => {
  test('created through the admin mapping routes; 400 for a missing server or an unknown permission', async () => {
    const [prov, srv] = [await provider(), await server()]
    const base = `/api/admin/oauth-providers/${prov}/mappings`
    const send = (m: unknown) => t.request('POST', base, { cookie: admin.cookie, body: { matcher: { type: 'none' }, mapping: m } })
    const ok = await send(mapping(srv, { revoke_unmatched: true }))
    expect(ok.status).toBe(200)
    expect(ok.body.oauth_mapping.mapping).toEqual(mapping(srv, { revoke_unmatched: true }))
    const missing = await send(mapping(crypto.randomUUID()))
    expect([missing.status, missing.body.errors]).toEqual([400, ['invalid relation `server` provided']])
    const bad = await send(mapping(srv, { permissions: ['files.read', 'files.nonsense'] }))
    expect([bad.status, bad.body.errors]).toEqual([400, ['mapping.permissions: invalid permission: files.nonsense']])
    expect((await send({ type: 'server_subuser', server_uuid: srv, permissions: [] })).status).toBe(400)
    const patched = await t.request('PATCH', `${base}/${ok.body.oauth_mapping.uuid}`, {
      cookie: admin.cookie,
      body: { mapping: mapping(srv, { permissions: ['nope'] }) },
    })
    expect(patched.status).toBe(400)
  })

  test('a matched login makes the user a subuser (upsert); unmatched with revoke_unmatched removes it; the owner is left alone', async () => {
    const [prov, srv] = [await provider(), await server()]
    const user = await makeUser(t)
    const base = `/api/admin/oauth-providers/${prov}/mappings`
    const res = await t.request('POST', base, {
      cookie: admin.cookie,
      body: { matcher: { type: 'field_equals', path: '$.group', equals: 'ops' }, mapping: mapping(srv, { revoke_unmatched: true }) },
    })
    expect(res.status).toBe(200)

    await signIn(prov, user.uuid, { group: 'ops' })
    expect(await grant(srv, user.uuid)).toEqual({ permissions: ['control.console', 'files.read'], ignored_files: ['secret.txt'] })
    await db()
      .update(serverSubusers)
      .set({ permissions: ['control.start'] })
      .where(eq(serverSubusers.user_uuid, user.uuid))
    await signIn(prov, user.uuid, { group: 'ops' })
    expect((await grant(srv, user.uuid))?.permissions).toEqual(['control.console', 'files.read'])
    const seen = await t.request('GET', `/api/client/servers/${srv}`, { cookie: await login(t, user) })
    expect(seen.status).toBe(200)

    await signIn(prov, user.uuid, { group: 'dev' })
    expect(await grant(srv, user.uuid)).toBeUndefined()

    await signIn(prov, owner.uuid, { group: 'ops' })
    expect(await grant(srv, owner.uuid)).toBeUndefined()
  })

  test('without revoke_unmatched an unmatched login keeps the subuser; revert and apply directly', async () => {
    const srv = await server()
    const user = await makeUser(t)
    const type = types().get('server_subuser')!
    const m = mapping(srv)
    await transaction(db(), (tx) => type.apply(tx, user.uuid, m))
    expect(await grant(srv, user.uuid)).toBeDefined()
    const prov = await provider()
    await t.request('POST', `/api/admin/oauth-providers/${prov}/mappings`, {
      cookie: admin.cookie,
      body: { matcher: { type: 'field_exists', path: '$.never' }, mapping: m },
    })
    await signIn(prov, user.uuid, {})
    expect(await grant(srv, user.uuid)).toBeDefined()
    await transaction(db(), (tx) => type.revert(tx, user.uuid, m))
    expect(await grant(srv, user.uuid)).toBeUndefined()
    expect(type.target(m)).toBe(`server_subuser:${srv}`)
  })
})
