import { describe, expect, setDefaultTimeout, test } from 'bun:test'
import { activitiesOf, cookieOf, expectModel, totp, useTestApp } from 'hatchery/testing'
import { codeAfter, stepOf } from './test-helpers'
import { runCommand, type Output } from '../../src/cli/run'
import { AdminUser } from './model'

setDefaultTimeout(60_000)

describe('an administrator from first boot to a revoked API key', () => {
  const t = useTestApp()

  test('CLI → login → 2FA → logout → checkpoint → narrowed key → revoke', async () => {
    // 1. The first administrator comes from the CLI.
    const out: Output = { stdout: [], stderr: [] }
    const argv = [
      'users',
      'create',
      '--username',
      'root_admin',
      '--email',
      'root@example.com',
      '--name-first',
      'Root',
      '--name-last',
      'Admin',
      '--password',
      'correct horse battery',
      '--admin',
      '--json',
    ]
    expect(await runCommand(t.kernel, argv, out)).toBe(0)
    expect(out.stderr).toEqual([])
    const created = JSON.parse(out.stdout.join('\n'))
    expectModel(AdminUser, created)
    expect(created).toMatchObject({ username: 'root_admin', email: 'root@example.com', admin: true, totp_enabled: false })

    // 2. Password login.
    const credentials = { user: 'root@example.com', password: 'correct horse battery' }
    const first = await t.request('POST', '/api/auth/login', { body: credentials })
    expect(first.status).toBe(200)
    expect(first.body).toMatchObject({ type: 'completed', user: { uuid: created.uuid, admin: true } })
    let cookie = cookieOf(first)

    // 3. Two-factor on.
    const setup = await t.request('GET', '/api/client/account/two-factor', { cookie })
    expect(setup.status).toBe(200)
    const enabledAt = Date.now()
    const enable = await t.request('POST', '/api/client/account/two-factor', {
      cookie,
      body: { code: await totp(setup.body.secret, enabledAt), password: credentials.password },
    })
    expect(enable.status).toBe(200)
    expect(enable.body.recovery_codes).toHaveLength(10)

    // 4. Log out: the session is gone.
    expect((await t.request('POST', '/api/client/account/logout', { cookie })).status).toBe(200)
    expect((await t.request('GET', '/api/client/account', { cookie })).status).toBe(401)

    // 5. Log in again: password, then the checkpoint with a fresh code.
    const second = await t.request('POST', '/api/auth/login', { body: credentials })
    expect(second.status).toBe(200)
    expect(second.body.type).toBe('two_factor_required')
    expect(second.headers.get('set-cookie')).toBeNull()
    const checkpoint = await t.request('POST', '/api/auth/login/checkpoint', {
      body: { code: await codeAfter(setup.body.secret, stepOf(enabledAt)).code, confirmation_token: second.body.token },
    })
    expect(checkpoint.status).toBe(200)
    expect(checkpoint.body.user).toMatchObject({ uuid: created.uuid, totp_enabled: true })
    cookie = cookieOf(checkpoint)
    expect((await t.request('GET', '/api/client/account', { cookie })).body.user.uuid).toBe(created.uuid)

    // 6. A narrowed API key: it may read keys, from 10.0.0.0/8 only.
    const made = await t.request('POST', '/api/client/account/api-keys', {
      cookie,
      body: {
        name: 'ci-bot',
        allowed_ips: ['10.0.0.0/8'],
        user_permissions: ['api-keys.read'],
        admin_permissions: [],
        server_permissions: [],
      },
    })
    expect(made.status).toBe(200)
    const key = made.body.key as string
    const inside = { token: key, ip: '10.20.30.40' }
    const listed = await t.request('GET', '/api/client/account/api-keys', inside)
    expect(listed.status).toBe(200)
    expect(listed.body.api_keys.data.map((k: any) => k.name)).toEqual(['ci-bot'])
    const outOfScope = await t.request('GET', '/api/client/account/two-factor', inside)
    expect(outOfScope.status).toBe(403)
    expect(outOfScope.body).toEqual({ errors: ['you do not have permission to perform this action: account.two-factor'] })
    const escalate = await t.request('POST', '/api/client/account/api-keys', {
      ...inside,
      body: { name: 'more', allowed_ips: [], user_permissions: ['api-keys.create'], admin_permissions: [], server_permissions: [] },
    })
    expect(escalate.status).toBe(403)
    const outside = await t.request('GET', '/api/client/account/api-keys', { token: key, ip: '192.0.2.10' })
    expect(outside.status).toBe(403)
    expect(outside.body).toEqual({ errors: ['ip address not allowed for this api key'] })

    // 7. Revoke it: refused at once.
    expect((await t.request('DELETE', `/api/client/account/api-keys/${made.body.api_key.uuid}`, { cookie })).status).toBe(200)
    const revoked = await t.request('GET', '/api/client/account/api-keys', inside)
    expect(revoked.status).toBe(401)
    expect(revoked.body).toEqual({ errors: ['invalid api key'] })

    // The story is in the activity log.
    const events = (await activitiesOf(t, created.uuid)).map((a) => a.event)
    expect(events).toEqual([
      'auth:success',
      'account:two-factor.enable',
      'auth:checkpoint',
      'auth:success',
      'api-key:create',
      'api-key:delete',
    ])
  })
})
