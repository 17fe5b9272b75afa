import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test'
import { and, eq, sql } from 'drizzle-orm'
import { expectModel, login, makeUser, relaxRateLimits, RUN_ID, runCli, useTestApp } from 'hatchery/testing'
import { enableTwoFactor } from '../plugins/users/test-helpers'
import { runPanel, serverEnv, startServer, type RunningServer } from './helpers/server'
import { openDatabase } from '../src/db/client'
import { AdminUser } from '../plugins/users/model'
import { LANGUAGES } from '../plugins/users'
import { adminActivities, userRecoveryCodes, users } from '../plugins/users/tables'

setDefaultTimeout(60_000)

const createArgs = (name: string, extra: string[] = []) => [
  'users',
  'create',
  '--username',
  name,
  '--email',
  `${name}@example.com`,
  '--name-first',
  'Ada',
  '--name-last',
  'Lovelace',
  '--password',
  'a-long-password',
  ...extra,
]

describe('panel users … in-process (runCommand)', () => {
  const t = useTestApp()
  beforeAll(() => relaxRateLimits(t))

  const run = (argv: string[]) => runCli(t, argv)

  const loginStatus = async (user: string, password: string) =>
    (await t.request('POST', '/api/auth/login', { body: { user, password } })).status

  describe('users create', () => {
    test('--json prints the user object; the user can log in; an admin activity is written', async () => {
      const res = await run(createArgs('ada_json', ['--admin', '--json']))
      expect(res).toMatchObject({ code: 0, stderr: '' })
      const user = JSON.parse(res.stdout)
      expectModel(AdminUser, user)
      expect(user).toMatchObject({
        username: 'ada_json',
        email: 'ada_json@example.com',
        name_first: 'Ada',
        name_last: 'Lovelace',
        admin: true,
        has_password: true,
        language: 'en',
        external_id: null,
      })
      expect(await loginStatus('ada_json', 'a-long-password')).toBe(200)
      const [audit] = await t.kernel.database.db.select().from(adminActivities).where(eq(adminActivities.event, 'user:create'))
      expect(audit).toMatchObject({ user_uuid: null, data: { uuid: user.uuid, username: 'ada_json', admin: true, source: 'cli' } })
    })

    test('without --json prints one line; without --admin the user is no admin', async () => {
      const res = await run(createArgs('ada_text'))
      expect(res.code).toBe(0)
      expect(res.stdout).toMatch(/^created user ada_text \([0-9a-f-]{36}\)$/)
      const [row] = await t.kernel.database.db.select().from(users).where(eq(users.username, 'ada_text'))
      expect(row.admin).toBe(false)
      expect(row.password).toStartWith('$argon2id$')
    })

    test('bad values → exit 1 naming each option like the API names fields; a missing option → exit 2', async () => {
      const bad = await run([
        'users',
        'create',
        '--username',
        'x!',
        '--email',
        'nope',
        '--name-first',
        '',
        '--name-last',
        'B',
        '--password',
        'short',
        '--language',
        'xx',
      ])
      expect(bad.code).toBe(1)
      expect(bad.stderr.split('\n')).toEqual([
        'panel users create: username: length is lower than 3',
        'panel users create: username: does not match pattern /^[a-zA-Z0-9_]+$/',
        'panel users create: email: not a valid email',
        'panel users create: name-first: length is lower than 1',
        'panel users create: password: length is lower than 8',
        `panel users create: language: must be one of: ${LANGUAGES.join(', ')}`,
      ])
      expect(bad.stdout).toBe('')
      const missing = await run(['users', 'create', '--username', 'someone'])
      expect(missing.code).toBe(2)
      expect(missing.stderr).toContain('missing --email')
      expect(await t.kernel.database.db.$count(users, eq(users.username, 'someone'))).toBe(0)
    })

    test('a taken username or email → exit 1', async () => {
      expect((await run(createArgs('ada_dup'))).code).toBe(0)
      const again = await run(createArgs('ADA_DUP'))
      expect(again.code).toBe(1)
      expect(again.stderr).toBe('panel users create: user with username or email already exists')
    })
  })

  describe('users reset-password', () => {
    test('sets the password and ends every session at once', async () => {
      const user = await makeUser(t)
      const cookie = await login(t, user)
      const res = await run(['users', 'reset-password', '--user', user.email.toUpperCase(), '--password', 'brand-new-password', '--json'])
      expect(res.code).toBe(0)
      expect(JSON.parse(res.stdout)).toEqual({ uuid: user.uuid, username: user.username, password_reset: true })
      expect((await t.request('GET', '/api/client/account', { cookie })).status).toBe(401)
      expect(await loginStatus(user.username, user.password)).toBe(400)
      expect(await loginStatus(user.username, 'brand-new-password')).toBe(200)
      const audits = await t.kernel.database.db.select().from(adminActivities).where(eq(adminActivities.event, 'user:update'))
      expect(audits.map((a) => a.data)).toContainEqual({ uuid: user.uuid, password: true, source: 'cli' })
    })

    test('an unknown user or a short password → exit 1; missing --password → exit 2', async () => {
      const unknown = await run(['users', 'reset-password', '--user', 'nobody_at_all', '--password', 'long-enough-password'])
      expect(unknown.code).toBe(1)
      expect(unknown.stderr).toContain('no user with username or email "nobody_at_all"')
      const user = await makeUser(t)
      const short = await run(['users', 'reset-password', '--user', user.username, '--password', 'short'])
      expect(short.code).toBe(1)
      expect(short.stderr).toBe('panel users reset-password: password: length is lower than 8')
      expect(await loginStatus(user.username, user.password)).toBe(200)
      expect((await run(['users', 'reset-password', '--user', user.username])).code).toBe(2)
    })
  })

  describe('users disable-2fa', () => {
    test('turns two-factor off: the next login needs no code', async () => {
      const user = await makeUser(t)
      await enableTwoFactor(t, await login(t, user), user.password)
      expect((await t.request('POST', '/api/auth/login', { body: { user: user.username, password: user.password } })).body.type).toBe(
        'two_factor_required',
      )
      const res = await run(['users', 'disable-2fa', '--user', user.username, '--json'])
      expect(res.code).toBe(0)
      expect(JSON.parse(res.stdout)).toEqual({ uuid: user.uuid, username: user.username, two_factor: false })
      const [row] = await t.kernel.database.db.select().from(users).where(eq(users.uuid, user.uuid))
      expect(row).toMatchObject({ totp_enabled: false, totp_secret: null, totp_last_used: null })
      expect(await t.kernel.database.db.$count(userRecoveryCodes, eq(userRecoveryCodes.user_uuid, user.uuid))).toBe(0)
      const next = await t.request('POST', '/api/auth/login', { body: { user: user.username, password: user.password } })
      expect(next.body.type).toBe('completed')
      expect(
        await t.kernel.database.db.$count(
          adminActivities,
          and(eq(adminActivities.event, 'user:two-factor.disable'), sql`${adminActivities.data}->>'uuid' = ${user.uuid}`),
        ),
      ).toBe(1)
    })

    test('not enabled or unknown user → exit 1', async () => {
      const user = await makeUser(t)
      const off = await run(['users', 'disable-2fa', '--user', user.username])
      expect(off.code).toBe(1)
      expect(off.stderr).toBe(`panel users disable-2fa: two-factor authentication is not enabled for ${user.username}`)
      expect((await run(['users', 'disable-2fa', '--user', 'ghost_user'])).code).toBe(1)
    })
  })

  describe('jobs run, settings get/set', () => {
    test('an unknown job or setting is refused with the valid names listed', async () => {
      const job = await run(['jobs', 'run', 'nope'])
      expect(job.code).toBe(1)
      expect(job.stderr).toStartWith('panel jobs run: unknown job nope (known: ')
      for (const name of t.kernel.jobs.names()) expect(job.stderr).toContain(name)
      const get = await run(['settings', 'get', 'nope'])
      expect(get.code).toBe(1)
      expect(get.stderr).toStartWith('panel settings get: unknown setting nope (known: ')
      expect(get.stderr).toContain('app.name')
      const set = await run(['settings', 'set', 'nope', '1'])
      expect(set.code).toBe(1)
      expect(set.stderr).toBe(get.stderr.replace('settings get', 'settings set'))
    })

    test('a missing positional is a usage error naming them', async () => {
      expect(await run(['settings', 'set', 'app.name'])).toMatchObject({
        code: 2,
        stderr: 'panel settings set: usage: panel settings set KEY JSON',
      })
      expect(await run(['jobs', 'run'])).toMatchObject({ code: 2, stderr: 'panel jobs run: usage: panel jobs run NAME' })
    })
  })
})

/** Creates a user with the real CLI while `server` runs, then logs in over HTTP and resets the password. */
async function cliAgainstRunningServer(server: RunningServer, name: string) {
  const created = await runPanel(server.env, createArgs(name, ['--json']))
  expect(created.stderr).toBe('')
  expect(created.code).toBe(0)
  const user = JSON.parse(created.stdout)
  expectModel(AdminUser, user)
  expect(user).toMatchObject({ username: name, admin: false })

  const loginOnce = (password: string) =>
    fetch(`${server.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ user: name, password }),
    })
  const res = await loginOnce('a-long-password')
  expect(res.status).toBe(200)
  const body = await res.json()
  expect(body).toMatchObject({ type: 'completed', user: { uuid: user.uuid, username: name } })
  const cookie = res.headers.get('set-cookie')!.split(';')[0]
  const account = (c: string) => fetch(`${server.url}/api/client/account`, { headers: { cookie: c } })
  expect((await account(cookie)).status).toBe(200)

  const reset = await runPanel(server.env, ['users', 'reset-password', '--user', name, '--password', 'another-long-password'])
  expect(reset.code).toBe(0)
  expect(reset.stdout.trim()).toBe(`password of ${name} reset; sessions ended`)
  // The server sees the ended session at once (same process) or within a second (another process).
  const deadline = Date.now() + 1500
  let status = 200
  while (Date.now() < deadline && (status = (await account(cookie)).status) === 200) await Bun.sleep(100)
  expect(status).toBe(401)
  expect((await loginOnce('another-long-password')).status).toBe(200)
}

describe('panel users … against a running server on the embedded database', () => {
  let server: RunningServer
  beforeAll(async () => {
    server = await startServer(serverEnv({ DATABASE_URL: '' }))
  }, 120_000)
  afterAll(() => server?.cleanup())

  test('create, log in, reset the password through DATA_DIR/control.sock; SIGTERM exits 0', async () => {
    await cliAgainstRunningServer(server, 'embedded_ada')
    expect(await server.stop('SIGTERM')).toBe(0)
    // With the server down the CLI opens the embedded database itself.
    const offline = await runPanel(server.env, [
      'users',
      'reset-password',
      '--user',
      'embedded_ada',
      '--password',
      'third-long-password',
      '--json',
    ])
    expect(offline.code).toBe(0)
    expect(JSON.parse(offline.stdout)).toMatchObject({ username: 'embedded_ada', password_reset: true })
  })
})

// The PostgreSQL variant needs a server: it runs in the PostgreSQL pass (DATABASE_URL set).
if (process.env.DATABASE_URL) {
  describe('panel users … against a running server on PostgreSQL', () => {
    const name = `hatchery_cli_${RUN_ID}`
    const url = new URL(process.env.DATABASE_URL!)
    url.pathname = `/${name}`
    let server: RunningServer | undefined

    async function admin(statement: string) {
      const db = await openDatabase({ databaseUrl: process.env.DATABASE_URL!, dataDir: '', max: 1 })
      try {
        await db.query(sql.raw(statement))
      } finally {
        await db.close()
      }
    }

    beforeAll(async () => {
      await admin(`create database "${name}"`)
      server = await startServer(serverEnv({ DATABASE_URL: url.toString() }))
    }, 120_000)
    afterAll(async () => {
      server?.cleanup()
      await admin(`drop database if exists "${name}" with (force)`)
    }, 60_000)

    test('create, log in, reset the password with a CLI process of its own; SIGTERM exits 0', async () => {
      await cliAgainstRunningServer(server!, 'postgres_ada')
      expect(await server!.stop('SIGTERM')).toBe(0)
    })
  })
}
