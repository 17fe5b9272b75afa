import { beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test'
import { eq } from 'drizzle-orm'
import { expectModel, login, makeApiKey, makeUser, relaxRateLimits, useTestApp } from 'hatchery/testing'
import { updateUser } from './test-helpers'
import { FullUser } from './model'
import { roles, userSessions } from './tables'

setDefaultTimeout(30_000)
const t = useTestApp()
beforeAll(() => relaxRateLimits(t))

// §2.7, in serialization order: group → permission names.
const USER = {
  account: 'infos email password two-factor avatar',
  servers: 'create read update delete',
  'api-keys': 'create read update delete recreate',
  'security-keys': 'create read update delete',
  'ssh-keys': 'create read update delete',
  'oauth-links': 'create read delete',
  'command-snippets': 'create read update delete',
  sessions: 'read delete',
  activity: 'read',
}
const ADMIN = {
  stats: 'read',
  settings: 'read update',
  'email-templates': 'read update',
  extensions: 'read manage',
  announcements: 'create read update delete',
  assets: 'read upload delete',
  users: 'create read update disable-two-factor delete email activity oauth-links impersonate',
  roles: 'create read update delete',
  locations: 'create read update delete database-hosts database-agent-hosts',
  'backup-configurations': 'create read update delete backups',
  'system-backup-policies': 'create read update delete backups',
  nodes: 'create read update delete read-token reset-token allocations mounts database-hosts database-agent-hosts backups power transfers',
  servers: 'create read update delete transfer allocations variables mounts',
  nests: 'create read update delete',
  eggs: 'create read update delete mounts',
  'egg-configurations': 'create read update delete',
  'egg-repositories': 'create read update delete sync',
  'database-hosts': 'create read update delete test',
  'database-agent-hosts': 'create read update delete read-token reset-token test',
  'database-agent-templates': 'create read update delete',
  'oauth-providers': 'create read update delete',
  mounts: 'create read update delete',
  activity: 'read',
}
const SERVER = {
  control: 'read-console console start stop restart',
  subusers: 'create read update delete',
  files: 'create read read-content update delete archive sftp query-raw',
  backups: 'create read download restore update delete',
  'backup-groups': 'create read update delete',
  schedules: 'create read update delete',
  allocations: 'read create update delete',
  startup: 'read update command docker-image',
  databases: 'create read read-password update recreate delete query query-raw edit-rows edit-structure delete-structure',
  'database-instances':
    'create read update apply-update delete power logs databases recreate users import export query query-raw edit-rows edit-structure delete-structure',
  mounts: 'attach read detach',
  settings: 'rename timezone auto-kill auto-start install cancel-install',
  activity: 'read read-ip',
}

type Groups = Record<string, { description: string; permissions: Record<string, string> }>

/** The reference groups come first, in order, with exactly these permissions; plugins may add groups after them. */
function expectCatalog(groups: Groups, expected: Record<string, string>) {
  const names = Object.keys(expected)
  expect(Object.keys(groups).slice(0, names.length)).toEqual(names)
  for (const name of names) {
    expect(Object.keys(groups[name].permissions).join(' ')).toBe(expected[name])
    expect(groups[name].description).toStartWith('Permissions that control the ability to ')
    for (const text of Object.values(groups[name].permissions)) expect(text).toStartWith('Allows ')
  }
}

describe('GET /api/client/account', () => {
  test('returns the caller as a full user', async () => {
    const user = await makeUser(t, { language: 'de' })
    const res = await t.request('GET', '/api/client/account', { cookie: await login(t, user) })
    expect(res.status).toBe(200)
    expect(Object.keys(res.body)).toEqual(['user'])
    expectModel(FullUser, res.body.user)
    expect(res.body.user).toMatchObject({
      uuid: user.uuid,
      username: user.username,
      email: user.email,
      role: null,
      avatar: null,
      admin: false,
      frozen: false,
      suspended: false,
      totp_enabled: false,
      totp_last_used: null,
      require_two_factor: false,
      language: 'de',
      toast_position: 'bottom_right',
      start_on_grouped_servers: false,
      has_password: true,
    })
    expect(res.body.user.created).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/)
    expect(res.body.user).not.toHaveProperty('password')
    expect(res.body.user).not.toHaveProperty('totp_secret')
  })

  test('shows the role and the computed require_two_factor', async () => {
    const [role] = await t.kernel.database.db
      .insert(roles)
      .values({ name: `r-${crypto.randomUUID()}`, require_two_factor: true, admin_permissions: ['stats.read'] })
      .returning()
    const user = await makeUser(t, { role_uuid: role.uuid })
    const res = await t.request('GET', '/api/client/account', { cookie: await login(t, user) })
    expect(res.status).toBe(200)
    expect(res.body.user.require_two_factor).toBe(true)
    expect(res.body.user.role).toMatchObject({
      uuid: role.uuid,
      name: role.name,
      description: null,
      require_two_factor: true,
      admin_permissions: ['stats.read'],
      server_permissions: [],
    })
    expect(Object.keys(res.body.user.role)).toEqual([
      'uuid',
      'name',
      'description',
      'require_two_factor',
      'admin_permissions',
      'server_permissions',
      'created',
    ])
  })

  test('an API key without any permission may read the account', async () => {
    const user = await makeUser(t)
    const { key } = await makeApiKey(t, await login(t, user))
    const res = await t.request('GET', '/api/client/account', { token: key })
    expect(res.status).toBe(200)
    expect(res.body.user.uuid).toBe(user.uuid)
  })

  test('unauthenticated → 401 missing authorization', async () => {
    const res = await t.request('GET', '/api/client/account')
    expect(res.status).toBe(401)
    expect(res.body).toEqual({ errors: ['missing authorization'] })
  })

  test('bad credentials → 401 with the reason', async () => {
    const short = await t.request('GET', '/api/client/account', { cookie: 'hatchery_session=abc' })
    expect(short.status).toBe(401)
    expect(short.body).toEqual({ errors: ['invalid authorization cookie'] })
    const unknown = await t.request('GET', '/api/client/account', { cookie: `hatchery_session=${'a'.repeat(16)}:${'0'.repeat(64)}` })
    expect(unknown.status).toBe(401)
    expect(unknown.body).toEqual({ errors: ['invalid session'] })
    const header = await t.request('GET', '/api/client/account', { headers: { authorization: 'Basic dXNlcjpwYXNz' } })
    expect(header.status).toBe(401)
    expect(header.body).toEqual({ errors: ['invalid authorization header'] })
    const key = await t.request('GET', '/api/client/account', { token: `c7sp_${'A'.repeat(43)}` })
    expect(key.status).toBe(401)
    expect(key.body).toEqual({ errors: ['invalid api key'] })
  })
})

describe('POST /api/client/account/logout', () => {
  test('ends the session and clears the cookie', async () => {
    const user = await makeUser(t)
    const cookie = await login(t, user)
    const other = await login(t, user)
    const res = await t.request('POST', '/api/client/account/logout', { cookie })
    expect(res.status).toBe(200)
    expect(res.body).toEqual({})
    // One cookie only: the guard's sliding refresh must not re-issue the session being ended.
    expect(res.headers.getSetCookie()).toHaveLength(1)
    const setCookie = res.headers.get('set-cookie')!
    expect(setCookie).toStartWith('hatchery_session=;')
    expect(setCookie).toContain('; Path=/')
    expect(setCookie).toContain('; HttpOnly')
    expect(setCookie).toContain('; SameSite=Lax')
    const expires = Date.parse(/Expires=([^;]+)/.exec(setCookie)![1])
    expect(expires - Date.now()).toBeLessThanOrEqual(3000)

    const again = await t.request('GET', '/api/client/account', { cookie })
    expect(again.status).toBe(401)
    expect(again.body).toEqual({ errors: ['invalid session'] })
    expect((await t.request('GET', '/api/client/account', { cookie: other })).status).toBe(200)
    const rows = await t.kernel.database.db.select().from(userSessions).where(eq(userSessions.user_uuid, user.uuid))
    expect(rows).toHaveLength(1)
  })

  test('allowed for suspended users and users still lacking required two-factor', async () => {
    const user = await makeUser(t)
    const cookie = await login(t, user)
    await updateUser(t, user.uuid, { suspended: true })
    expect((await t.request('POST', '/api/client/account/logout', { cookie })).status).toBe(200)

    const admin = await makeUser(t, { admin: true })
    const adminCookie = await login(t, admin)
    await t.kernel.settings.update({ 'app.two_factor_requirement': 'admins' })
    try {
      expect((await t.request('GET', '/api/client/permissions', { cookie: adminCookie })).status).toBe(403)
      expect((await t.request('POST', '/api/client/account/logout', { cookie: adminCookie })).status).toBe(200)
    } finally {
      await t.kernel.settings.update({ 'app.two_factor_requirement': 'none' })
    }
  })

  test('with an API key → 400, and the key keeps working', async () => {
    const user = await makeUser(t)
    const { key } = await makeApiKey(t, await login(t, user))
    const res = await t.request('POST', '/api/client/account/logout', { token: key })
    expect(res.status).toBe(400)
    expect(res.body).toEqual({ errors: ['unable to log out when not using session authentication'] })
    expect((await t.request('GET', '/api/client/account', { token: key })).status).toBe(200)
  })

  test('unauthenticated → 401', async () => {
    const res = await t.request('POST', '/api/client/account/logout')
    expect(res.status).toBe(401)
    expect(res.body).toEqual({ errors: ['missing authorization'] })
  })

  test('bad input: a body of an unsupported type → 400', async () => {
    const cookie = await login(t, await makeUser(t))
    const res = await t.request('POST', '/api/client/account/logout', {
      cookie,
      body: 'a=b',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    })
    expect(res.status).toBe(400)
    expect(res.body.errors[0]).toStartWith('invalid payload')
    expect((await t.request('GET', '/api/client/account', { cookie })).status).toBe(200)
  })
})

describe('GET /api/client/permissions', () => {
  test('serves the three catalogs of §2.7, permission names bare', async () => {
    const cookie = await login(t, await makeUser(t))
    const res = await t.request('GET', '/api/client/permissions', { cookie })
    expect(res.status).toBe(200)
    expect(Object.keys(res.body)).toEqual(['user_permissions', 'admin_permissions', 'server_permissions'])
    expectCatalog(res.body.user_permissions, USER)
    expectCatalog(res.body.admin_permissions, ADMIN)
    expectCatalog(res.body.server_permissions, SERVER)
    expect(res.body.user_permissions.account).toEqual({
      description: 'Permissions that control the ability to change account settings.',
      permissions: {
        infos: "Allows changing the account's basic account information.",
        email: "Allows changing the account's email address.",
        password: "Allows changing the account's password.",
        'two-factor': 'Allows adding and removing two-factor authentication.',
        avatar: "Allows updating and removing the account's avatar.",
      },
    })
    expect(res.body.user_permissions['api-keys'].description).toBe(
      'Permissions that control the ability to manage API keys on an account. API keys can never edit themselves or assign permissions they do not have.',
    )
    expect(res.body.admin_permissions.users.permissions.impersonate).toBe('Allows impersonating other users.')
    // Every group a plugin adds is served too.
    expect(res.body.admin_permissions).toEqual(t.kernel.catalog.groups('admin'))
    expect(res.body.server_permissions).toEqual(t.kernel.catalog.groups('server'))
  })

  test('needs no permission: an API key with empty lists may read it', async () => {
    const { key } = await makeApiKey(t, await login(t, await makeUser(t)))
    const res = await t.request('GET', '/api/client/permissions', { token: key })
    expect(res.status).toBe(200)
    expect(Object.keys(res.body.user_permissions)).toContain('account')
  })

  test('unauthenticated → 401; suspended → 403', async () => {
    expect((await t.request('GET', '/api/client/permissions')).status).toBe(401)
    const user = await makeUser(t)
    const cookie = await login(t, user)
    await updateUser(t, user.uuid, { suspended: true })
    const res = await t.request('GET', '/api/client/permissions', { cookie })
    expect(res.status).toBe(403)
    expect(res.body).toEqual({ errors: ['account is suspended'] })
  })

  test('bad input: a malformed pagination-free query is ignored, a wrong method → 405', async () => {
    const cookie = await login(t, await makeUser(t))
    expect((await t.request('GET', '/api/client/permissions?page=abc', { cookie })).status).toBe(200)
    const res = await t.request('POST', '/api/client/permissions', { cookie, body: {} })
    expect(res.status).toBe(405)
    expect(res.headers.get('allow')).toBe('GET')
  })
})
