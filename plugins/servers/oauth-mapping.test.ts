import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { and, eq } from 'drizzle-orm'
import { transaction } from 'hatchery'
import { queryScope } from '../../src/db/scope'
import { adminCallers, login, makeUser, SETUP_TIMEOUT, startSmtpSink, useTestApp, type AdminCaller, type SmtpSink } from 'hatchery/testing'
import oauthPlugin from '../oauth'
import { applyMappings } from '../oauth/service/mappings'
import { makeEgg, nodeOnDouble, ownedServer, until, type DoubleNode } from './test-fixtures'
import { serverSubusers } from './tables'

const t = useTestApp()
let admin: AdminCaller
let owner: AdminCaller
let at: DoubleNode
let egg: { uuid: string }
let sink: SmtpSink

beforeAll(async () => {
  ;({ admin, plain: owner } = await adminCallers(t, ['servers.read']))
  at = await nodeOnDouble(t, admin)
  egg = await makeEgg(t)
  sink = await startSmtpSink()
  await t.kernel.settings.update({ mail_mode: sink.mode() })
}, SETUP_TIMEOUT)
afterAll(async () => {
  at?.wings.stop()
  await sink?.close()
})

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
/**
 * Runs `fn` as a login request does: with the request's settings snapshot taken first. Mappings
 * read settings inside the login's transaction, which on the embedded database (one connection)
 * must not wait for a settings read on the plain handle.
 */
const asRequest = async <T>(fn: () => Promise<T>) => queryScope.run({ settings: await t.kernel.settings.snapshot() }, fn)
const signIn = (prov: string, user: string, info: unknown) =>
  asRequest(() => transaction(db(), (tx) => applyMappings(tx, types(), t.kernel.log, prov, user, ['openid'], info)))

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
    await asRequest(() => transaction(db(), (tx) => type.apply(tx, user.uuid, m)))
    expect(await grant(srv, user.uuid)).toBeDefined()
    const prov = await provider()
    await t.request('POST', `/api/admin/oauth-providers/${prov}/mappings`, {
      cookie: admin.cookie,
      body: { matcher: { type: 'field_exists', path: '$.never' }, mapping: m },
    })
    await signIn(prov, user.uuid, {})
    expect(await grant(srv, user.uuid)).toBeDefined()
    await asRequest(() => transaction(db(), (tx) => type.revert(tx, user.uuid, m)))
    expect(await grant(srv, user.uuid)).toBeUndefined()
    expect(type.target(m)).toBe(`server_subuser:${srv}`)
  })
})

describe('a mapping-made subuser is held to the subuser rules (the same SubuserChanges as the routes)', () => {
  const type = () => types().get('server_subuser')!
  const apply = (user: string, m: unknown) => asRequest(() => transaction(db(), (tx) => type().apply(tx, user, m as never)))
  const revert = (user: string, m: unknown) => asRequest(() => transaction(db(), (tx) => type().revert(tx, user, m as never)))
  const nodeCalls = (srv: string, what: string) => at.wings.requests.filter((r) => r.path === `/api/servers/${srv}/${what}`)
  const mailed = (email: string, subject: string) =>
    until(() => sink.messages.find((m) => m.envelope.to.includes(email) && m.subject.startsWith(subject)), subject)

  test('made: the added_to_server mail; at server.max_subuser_count the mapping is refused (417) and a login skips it', async () => {
    const srv = await server()
    const [first, second] = [await makeUser(t), await makeUser(t)]
    await apply(first.uuid, mapping(srv))
    await mailed(first.email, 'You have been added to')
    await t.kernel.settings.update({ 'server.max_subuser_count': 1 })
    try {
      const refused = await apply(second.uuid, mapping(srv)).then(
        () => null,
        (e: { status: number; messages: string[] }) => [e.status, e.messages],
      )
      expect(refused).toEqual([417, ['maximum number of subusers reached']])
      // A login goes on without it; the holder already in keeps their place (an update is no new seat).
      const prov = await provider()
      await t.request('POST', `/api/admin/oauth-providers/${prov}/mappings`, {
        cookie: admin.cookie,
        body: { matcher: { type: 'none' }, mapping: mapping(srv, { permissions: ['files.read'] }) },
      })
      await signIn(prov, second.uuid, {})
      expect(await grant(srv, second.uuid)).toBeUndefined()
      await signIn(prov, first.uuid, {})
      expect((await grant(srv, first.uuid))?.permissions).toEqual(['files.read'])
    } finally {
      await t.kernel.settings.update({ 'server.max_subuser_count': 25 })
    }
  })

  test("changed: the node gets the user's new console permissions (ws/permissions); an unchanged grant does not call it", async () => {
    const srv = await server()
    const user = await makeUser(t)
    await apply(user.uuid, mapping(srv))
    await apply(user.uuid, mapping(srv))
    expect(nodeCalls(srv, 'ws/permissions')).toEqual([])
    await apply(user.uuid, mapping(srv, { permissions: ['control.console', 'control.read-console'], ignored_files: ['a'] }))
    const call = await until(() => nodeCalls(srv, 'ws/permissions')[0], 'ws/permissions')
    // §2.6's list: the two views come with control.read-console (both settings on by default).
    const views = ['admin.websocket.install', 'admin.websocket.transfer']
    const permissions = ['websocket.connect', 'meta.calagopus', 'control.console', ...views, 'control.read-console']
    expect(call.body).toEqual({ user_permissions: [{ user: user.uuid, permissions, ignored_files: ['a'] }] })
  })

  test('reverted: removed_from_server, and the console is revoked at once (ws/permissions empty, then ws/deny); a login with revoke_unmatched too', async () => {
    const srv = await server()
    const user = await makeUser(t)
    await apply(user.uuid, mapping(srv))
    await revert(user.uuid, mapping(srv))
    expect(await grant(srv, user.uuid)).toBeUndefined()
    const deny = await until(() => nodeCalls(srv, 'ws/deny')[0], 'ws/deny')
    expect(deny.body).toEqual({ jtis: [user.uuid] })
    expect(nodeCalls(srv, 'ws/permissions').map((r) => r.body)).toEqual([
      { user_permissions: [{ user: user.uuid, permissions: [], ignored_files: [] }] },
    ])
    await mailed(user.email, 'You have been removed')
    // Reverting someone who is no subuser calls nobody.
    await revert(user.uuid, mapping(srv))
    await Bun.sleep(100)
    expect(nodeCalls(srv, 'ws/deny')).toHaveLength(1)

    const prov = await provider()
    await t.request('POST', `/api/admin/oauth-providers/${prov}/mappings`, {
      cookie: admin.cookie,
      body: { matcher: { type: 'field_equals', path: '$.group', equals: 'ops' }, mapping: mapping(srv, { revoke_unmatched: true }) },
    })
    await signIn(prov, user.uuid, { group: 'ops' })
    await signIn(prov, user.uuid, { group: 'dev' })
    await until(() => (nodeCalls(srv, 'ws/deny').length === 2 ? true : undefined), 'the second ws/deny')
  })

  test('a rolled-back login tells the node nothing', async () => {
    const srv = await server()
    const user = await makeUser(t)
    await apply(user.uuid, mapping(srv))
    const failed = await asRequest(() =>
      transaction(db(), async (tx) => {
        await type().revert(tx, user.uuid, mapping(srv) as never)
        throw new Error('the login failed later')
      }),
    ).catch((e: Error) => e.message)
    expect(failed).toBe('the login failed later')
    await Bun.sleep(150)
    expect(nodeCalls(srv, 'ws/deny')).toEqual([])
    expect(await grant(srv, user.uuid)).toBeDefined()
  })
})
