import { beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test'
import { randomBytes } from 'node:crypto'
import { t as tb } from 'elysia'
import { and, eq } from 'drizzle-orm'
import { PageOf } from 'hatchery'
import { expectModel, lastActivity, login, makeApiKey, makeUser, relaxRateLimits, useTestApp } from 'hatchery/testing'
import { CreationOptions, RequestOptions, SecurityKey } from './model'
import { userSecurityKeyChallenges, userSecurityKeys } from './tables'

setDefaultTimeout(30_000)
const t = useTestApp()
const MANY = { hits: 100_000, window_seconds: 60 }
beforeAll(async () => {
  await relaxRateLimits(t)
  await t.kernel.settings.update({ 'ratelimits.auth_login_security_key': MANY })
})

const BASE = '/api/client/account/security-keys'
const LOGIN = '/api/auth/login/security-key'
const db = () => t.kernel.database.db

async function session(overrides = {}) {
  const user = await makeUser(t, overrides)
  return { user, cookie: await login(t, user) }
}

/** A registered key as a finished ceremony leaves it (the browser test makes real ones). */
async function addKey(userUuid: string, name = `key-${randomBytes(3).toString('hex')}`) {
  const [row] = await db()
    .insert(userSecurityKeys)
    .values({
      user_uuid: userUuid,
      name,
      credential_id: randomBytes(16).toString('base64url'),
      public_key: randomBytes(77).toString('base64url'),
      transports: ['internal'],
    })
    .returning()
  return row
}

async function withSettings(values: Record<string, unknown>, fn: () => Promise<void>) {
  await t.kernel.settings.update(values as any)
  try {
    await fn()
  } finally {
    await t.kernel.settings.reset(Object.keys(values))
  }
}

const keyScoped = async (cookie: string, permissions: string[]) => (await makeApiKey(t, cookie, { user_permissions: permissions })).key

describe(`GET ${BASE}`, () => {
  test('lists registered keys only, oldest first, searchable by name', async () => {
    const { user, cookie } = await session()
    const a = await addKey(user.uuid, 'alpha')
    const b = await addKey(user.uuid, 'beta')
    await db()
      .insert(userSecurityKeys)
      .values({ user_uuid: user.uuid, name: 'pending', registration: { challenge: 'x', resident_key: false } })
    await addKey((await makeUser(t)).uuid, 'alpha')
    const res = await t.request('GET', BASE, { cookie })
    expect(res.status).toBe(200)
    expectModel(tb.Object({ security_keys: PageOf(SecurityKey) }), res.body)
    expect(res.body.security_keys.total).toBe(2)
    expect(res.body.security_keys.data.map((k: any) => [k.uuid, k.credential_id])).toEqual([
      [a.uuid, a.credential_id],
      [b.uuid, b.credential_id],
    ])
    expect((await t.request('GET', `${BASE}?search=BET`, { cookie })).body.security_keys.data.map((k: any) => k.name)).toEqual(['beta'])
  })

  test('401 without authentication; 403 for an API key without security-keys.read; 400 bad page', async () => {
    expect((await t.request('GET', BASE)).status).toBe(401)
    const { cookie } = await session()
    const res = await t.request('GET', BASE, { token: await keyScoped(cookie, ['security-keys.create']) })
    expect(res.status).toBe(403)
    expect(res.body).toEqual({ errors: ['you do not have permission to perform this action: security-keys.read'] })
    expect((await t.request('GET', BASE, { token: await keyScoped(cookie, ['security-keys.read']) })).status).toBe(200)
    expect((await t.request('GET', `${BASE}?page=0`, { cookie })).status).toBe(400)
  })
})

describe(`POST ${BASE}`, () => {
  test('returns a pending key and creation options for the RP of app.url, excluding registered keys', async () => {
    const { user, cookie } = await session()
    const existing = await addKey(user.uuid)
    const res = await t.request('POST', BASE, { cookie, body: { name: 'laptop' } })
    expect(res.status).toBe(200)
    expectModel(tb.Object({ security_key: SecurityKey, options: CreationOptions }), res.body)
    expect(res.body.security_key).toMatchObject({ name: 'laptop', credential_id: '', last_used: null })
    const pk = res.body.options.publicKey
    expect(pk.rp).toEqual({ name: 'Hatchery', id: 'localhost' })
    expect(pk.user).toEqual({
      id: Buffer.from(user.uuid.replace(/-/g, ''), 'hex').toString('base64url'),
      name: user.email,
      displayName: user.username,
    })
    expect(pk.excludeCredentials).toEqual([{ id: existing.credential_id, type: 'public-key', transports: ['internal'] }])
    expect(pk.authenticatorSelection).toMatchObject({ residentKey: 'discouraged', requireResidentKey: false, userVerification: 'required' })
    expect(pk.timeout).toBe(300_000)
    const [row] = await db().select().from(userSecurityKeys).where(eq(userSecurityKeys.uuid, res.body.security_key.uuid))
    expect(row.registration).toEqual({ challenge: pk.challenge, resident_key: false })

    // Asking again under the same name replaces the pending key; usernameless asks for a resident key.
    const again = await t.request('POST', BASE, { cookie, body: { name: 'laptop', allow_usernameless_login: true } })
    expect(again.status).toBe(200)
    expect(again.body.options.publicKey.authenticatorSelection).toMatchObject({ residentKey: 'required', requireResidentKey: true })
    expect(await db().$count(userSecurityKeys, and(eq(userSecurityKeys.user_uuid, user.uuid), eq(userSecurityKeys.name, 'laptop')))).toBe(1)
  })

  test('webauthn.rp_id / rp_origin and the registration timeout come from the settings when stored', async () => {
    const { cookie } = await session()
    await withSettings(
      { 'webauthn.rp_id': 'panel.example.com', 'webauthn.registration_timeout_seconds': 60, 'webauthn.allow_discoverable': false },
      async () => {
        const res = await t.request('POST', BASE, { cookie, body: { name: 'remote', allow_usernameless_login: true } })
        expect(res.body.options.publicKey.rp.id).toBe('panel.example.com')
        expect(res.body.options.publicKey.timeout).toBe(60_000)
        expect(res.body.options.publicKey.authenticatorSelection.residentKey).toBe('discouraged')
      },
    )
  })

  test('409 for the name of a registered key; 417 at user.max_security_key_count (pending keys count)', async () => {
    const { user, cookie } = await session()
    await addKey(user.uuid, 'taken')
    const dup = await t.request('POST', BASE, { cookie, body: { name: 'taken' } })
    expect(dup.status).toBe(409)
    expect(dup.body).toEqual({ errors: ['security key with name already exists'] })
    await withSettings({ 'user.max_security_key_count': 2 }, async () => {
      expect((await t.request('POST', BASE, { cookie, body: { name: 'second' } })).status).toBe(200)
      const full = await t.request('POST', BASE, { cookie, body: { name: 'third' } })
      expect(full.status).toBe(417)
      expect(full.body).toEqual({ errors: ['maximum number of security keys reached'] })
    })
  })

  test('400 bad name; 400 when security keys are disabled; 401; 403', async () => {
    const { cookie } = await session()
    expect((await t.request('POST', BASE, { cookie, body: { name: 'ab' } })).status).toBe(400)
    expect((await t.request('POST', BASE, { cookie, body: { name: 'x'.repeat(32) } })).status).toBe(400)
    await withSettings({ 'webauthn.enabled': false }, async () => {
      const res = await t.request('POST', BASE, { cookie, body: { name: 'laptop' } })
      expect(res.status).toBe(400)
      expect(res.body).toEqual({ errors: ['security keys are disabled'] })
    })
    expect((await t.request('POST', BASE, { body: { name: 'laptop' } })).status).toBe(401)
    const res = await t.request('POST', BASE, { token: await keyScoped(cookie, ['security-keys.read']), body: { name: 'laptop' } })
    expect(res.status).toBe(403)
    expect(res.body).toEqual({ errors: ['you do not have permission to perform this action: security-keys.create'] })
  })
})

describe(`POST ${BASE}/{security_key}/challenge`, () => {
  const credential = { id: 'AAAA', rawId: 'AAAA', type: 'public-key', response: { clientDataJSON: 'e30', attestationObject: 'oA' } }

  test('404 for an unknown key or one of another user; 409 once set up; 400 for a bad attestation', async () => {
    const { user, cookie } = await session()
    const other = await addKey((await makeUser(t)).uuid)
    for (const uuid of [crypto.randomUUID(), other.uuid]) {
      const res = await t.request('POST', `${BASE}/${uuid}/challenge`, { cookie, body: { public_key_credential: credential } })
      expect(res.status).toBe(404)
      expect(res.body).toEqual({ errors: ['security key not found'] })
    }
    const done = await addKey(user.uuid)
    const setup = await t.request('POST', `${BASE}/${done.uuid}/challenge`, { cookie, body: { public_key_credential: credential } })
    expect(setup.status).toBe(409)
    expect(setup.body).toEqual({ errors: ['security key already setup'] })
    const pending = (await t.request('POST', BASE, { cookie, body: { name: 'pending' } })).body.security_key
    const bad = await t.request('POST', `${BASE}/${pending.uuid}/challenge`, { cookie, body: { public_key_credential: credential } })
    expect(bad.status).toBe(400)
    expect(bad.body).toEqual({ errors: ['failed to finish security key registration'] })
    expect(
      (
        await t.request('POST', `${BASE}/${pending.uuid}/challenge`, {
          cookie,
          body: { public_key_credential: { ...credential, type: 'other' } },
        })
      ).status,
    ).toBe(400)
    expect((await t.request('POST', `${BASE}/not-a-uuid/challenge`, { cookie, body: { public_key_credential: credential } })).status).toBe(
      400,
    )
  })

  test('a pending key older than the registration timeout is deleted: 400 invalid or expired challenge', async () => {
    const { cookie } = await session()
    const pending = (await t.request('POST', BASE, { cookie, body: { name: 'stale' } })).body.security_key
    await db()
      .update(userSecurityKeys)
      .set({ created: new Date(Date.now() - 301_000) })
      .where(eq(userSecurityKeys.uuid, pending.uuid))
    const res = await t.request('POST', `${BASE}/${pending.uuid}/challenge`, { cookie, body: { public_key_credential: credential } })
    expect(res.status).toBe(400)
    expect(res.body).toEqual({ errors: ['invalid or expired challenge'] })
    expect(await db().$count(userSecurityKeys, eq(userSecurityKeys.uuid, pending.uuid))).toBe(0)
  })

  test('401; 403 without security-keys.create', async () => {
    const { cookie } = await session()
    const path = `${BASE}/${crypto.randomUUID()}/challenge`
    expect((await t.request('POST', path, { body: { public_key_credential: credential } })).status).toBe(401)
    expect(
      (
        await t.request('POST', path, {
          token: await keyScoped(cookie, ['security-keys.read']),
          body: { public_key_credential: credential },
        })
      ).status,
    ).toBe(403)
  })
})

describe(`PATCH ${BASE}/{security_key}`, () => {
  test('renames a registered key and logs user:security-key.update', async () => {
    const { user, cookie } = await session()
    const key = await addKey(user.uuid, 'before')
    const res = await t.request('PATCH', `${BASE}/${key.uuid}`, { cookie, body: { name: 'after' }, ip: '192.0.2.5' })
    expect(res.status).toBe(200)
    expect(res.body).toEqual({})
    expect((await t.request('GET', BASE, { cookie })).body.security_keys.data[0].name).toBe('after')
    expect(await lastActivity(t, user.uuid, 'user:security-key.update')).toMatchObject({
      ip: '192.0.2.5',
      data: { uuid: key.uuid, name: 'after' },
    })
  })

  test("400 for a pending key or a bad name; 409 for a taken name; 404 for another user's key", async () => {
    const { user, cookie } = await session()
    const pending = (await t.request('POST', BASE, { cookie, body: { name: 'pending' } })).body.security_key
    const notYet = await t.request('PATCH', `${BASE}/${pending.uuid}`, { cookie, body: { name: 'renamed' } })
    expect(notYet.status).toBe(400)
    expect(notYet.body).toEqual({ errors: ['security key not setup yet'] })
    const a = await addKey(user.uuid, 'one')
    await addKey(user.uuid, 'two')
    expect((await t.request('PATCH', `${BASE}/${a.uuid}`, { cookie, body: { name: 'x' } })).status).toBe(400)
    const dup = await t.request('PATCH', `${BASE}/${a.uuid}`, { cookie, body: { name: 'two' } })
    expect(dup.status).toBe(409)
    expect(dup.body).toEqual({ errors: ['security key with name already exists'] })
    const foreign = await addKey((await makeUser(t)).uuid)
    expect((await t.request('PATCH', `${BASE}/${foreign.uuid}`, { cookie, body: { name: 'mine' } })).status).toBe(404)
  })

  test('401; 403 without security-keys.update', async () => {
    const { user, cookie } = await session()
    const key = await addKey(user.uuid)
    expect((await t.request('PATCH', `${BASE}/${key.uuid}`, { body: { name: 'abc' } })).status).toBe(401)
    expect(
      (await t.request('PATCH', `${BASE}/${key.uuid}`, { token: await keyScoped(cookie, ['security-keys.read']), body: { name: 'abc' } }))
        .status,
    ).toBe(403)
  })
})

describe(`DELETE ${BASE}/{security_key}`, () => {
  test("deletes a registered key (logged) and a pending one (not logged); never another user's", async () => {
    const { user, cookie } = await session()
    const key = await addKey(user.uuid, 'gone')
    expect((await t.request('DELETE', `${BASE}/${key.uuid}`, { cookie })).status).toBe(200)
    expect((await lastActivity(t, user.uuid, 'security-key:delete')).data).toEqual({ uuid: key.uuid, name: 'gone' })
    const pending = (await t.request('POST', BASE, { cookie, body: { name: 'pending' } })).body.security_key
    expect((await t.request('DELETE', `${BASE}/${pending.uuid}`, { cookie })).status).toBe(200)
    expect((await lastActivity(t, user.uuid, 'security-key:delete')).data).toMatchObject({ uuid: key.uuid })
    const foreign = await addKey((await makeUser(t)).uuid)
    const res = await t.request('DELETE', `${BASE}/${foreign.uuid}`, { cookie })
    expect(res.status).toBe(404)
    expect(await db().$count(userSecurityKeys, eq(userSecurityKeys.uuid, foreign.uuid))).toBe(1)
  })

  test('401; 403 without security-keys.delete; 400 malformed uuid', async () => {
    const { user, cookie } = await session()
    const key = await addKey(user.uuid)
    expect((await t.request('DELETE', `${BASE}/${key.uuid}`)).status).toBe(401)
    expect((await t.request('DELETE', `${BASE}/${key.uuid}`, { token: await keyScoped(cookie, ['security-keys.read']) })).status).toBe(403)
    expect((await t.request('DELETE', `${BASE}/nope`, { cookie })).status).toBe(400)
  })
})

describe('required two-factor', () => {
  test('a registered security key satisfies it like TOTP; a user without one is blocked but may register one', async () => {
    await withSettings({ 'app.two_factor_requirement': 'all_users' }, async () => {
      const { user, cookie } = await session()
      const blocked = await t.request('GET', '/api/client/account/sessions', { cookie })
      expect(blocked.status).toBe(403)
      expect(blocked.body).toEqual({ errors: ['two-factor authentication required'] })
      expect((await t.request('POST', BASE, { cookie, body: { name: 'first' } })).status).toBe(200)
      expect((await t.request('GET', BASE, { cookie })).status).toBe(200)
      // A pending key is no second factor.
      expect((await t.request('GET', '/api/client/account/sessions', { cookie })).status).toBe(403)
      await addKey(user.uuid)
      // Written behind the panel's back here: a new login (it locks the user) refreshes the credentials cache.
      const fresh = await login(t, user)
      expect((await t.request('GET', '/api/client/account/sessions', { cookie: fresh })).status).toBe(200)
      // Not while security keys are disabled.
      await withSettings({ 'webauthn.enabled': false }, async () => {
        expect((await t.request('GET', '/api/client/account/sessions', { cookie: fresh })).status).toBe(403)
      })
    })
  })
})

describe(`GET ${LOGIN}`, () => {
  test('a user without keys and an unknown user get the same answer: a challenge with an empty allowCredentials', async () => {
    const { user } = await session()
    const none = await t.request('GET', `${LOGIN}?user=${user.username}`)
    const unknown = await t.request('GET', `${LOGIN}?user=nobody-${randomBytes(4).toString('hex')}`)
    for (const res of [none, unknown]) {
      expect(res.status).toBe(200)
      expectModel(tb.Object({ uuid: tb.String({ format: 'uuid' }), options: RequestOptions }), res.body)
      expect(res.body.options.publicKey).toMatchObject({
        rpId: 'localhost',
        allowCredentials: [],
        userVerification: 'required',
        timeout: 300_000,
      })
    }
    expect(Object.keys(none.body.options.publicKey).sort()).toEqual(Object.keys(unknown.body.options.publicKey).sort())
    expect(none.body.options.publicKey.challenge).not.toBe(unknown.body.options.publicKey.challenge)
    expect(none.headers.get('set-cookie')).toBeNull()
    // Both challenges are stored alike (no user to answer them).
    const rows = await db().select().from(userSecurityKeyChallenges).where(eq(userSecurityKeyChallenges.uuid, unknown.body.uuid))
    expect(rows[0].user_uuids).toEqual([])
  })

  test("lists the user's registered keys, by username or email (any case)", async () => {
    const { user } = await session()
    const key = await addKey(user.uuid)
    await db()
      .insert(userSecurityKeys)
      .values({ user_uuid: user.uuid, name: 'pending', registration: { challenge: 'x', resident_key: false } })
    for (const login of [user.username.toUpperCase(), user.email.toUpperCase()]) {
      const res = await t.request('GET', `${LOGIN}?user=${encodeURIComponent(login)}`)
      expect(res.body.options.publicKey.allowCredentials).toEqual([{ id: key.credential_id, type: 'public-key', transports: ['internal'] }])
    }
  })

  test('400 without user; 400 when disabled; 429 past the auth_login_security_key budget', async () => {
    expect((await t.request('GET', LOGIN)).status).toBe(400)
    await withSettings({ 'webauthn.enabled': false }, async () => {
      const res = await t.request('GET', `${LOGIN}?user=someone`)
      expect(res.status).toBe(400)
      expect(res.body).toEqual({ errors: ['security keys are disabled'] })
    })
    await t.kernel.settings.update({ 'ratelimits.auth_login_security_key': { hits: 2, window_seconds: 60 } })
    try {
      const ip = '192.0.2.77'
      for (let i = 0; i < 2; i++) expect((await t.request('GET', `${LOGIN}?user=someone`, { ip })).status).toBe(200)
      expect((await t.request('GET', `${LOGIN}?user=someone`, { ip })).status).toBe(429)
      // The discoverable challenge and the POSTs count apart (as the reference's keys do).
      expect((await t.request('GET', `${LOGIN}/discoverable`, { ip })).status).toBe(200)
    } finally {
      await t.kernel.settings.update({ 'ratelimits.auth_login_security_key': MANY })
    }
  })
})

describe(`POST ${LOGIN} and ${LOGIN}/discoverable`, () => {
  const assertion = {
    id: 'AAAA',
    rawId: 'AAAA',
    type: 'public-key',
    response: { clientDataJSON: 'e30', authenticatorData: 'AA', signature: 'AA', userHandle: null },
  }

  test('an unknown challenge → 400; a challenge answers once even when wrong; unknown credential → 404', async () => {
    const unknown = await t.request('POST', LOGIN, { body: { uuid: crypto.randomUUID(), public_key_credential: assertion } })
    expect(unknown.status).toBe(400)
    expect(unknown.body).toEqual({ errors: ['invalid or expired challenge'] })
    const { uuid } = (await t.request('GET', `${LOGIN}?user=someone`)).body
    const first = await t.request('POST', LOGIN, { body: { uuid, public_key_credential: assertion } })
    expect(first.status).toBe(404)
    expect(first.body).toEqual({ errors: ['user not found'] })
    expect((await t.request('POST', LOGIN, { body: { uuid, public_key_credential: assertion } })).body).toEqual({
      errors: ['invalid or expired challenge'],
    })
  })

  test('a username-first challenge is not a discoverable one', async () => {
    const { uuid } = (await t.request('GET', `${LOGIN}?user=someone`)).body
    const res = await t.request('POST', `${LOGIN}/discoverable`, { body: { uuid, public_key_credential: assertion } })
    expect(res.status).toBe(400)
    expect(res.body).toEqual({ errors: ['invalid or expired challenge'] })
  })

  test('400 bad body; 400 when disabled or usernameless login is off', async () => {
    expect((await t.request('POST', LOGIN, { body: { uuid: 'x', public_key_credential: assertion } })).status).toBe(400)
    expect(
      (await t.request('POST', LOGIN, { body: { uuid: crypto.randomUUID(), public_key_credential: { ...assertion, response: {} } } }))
        .status,
    ).toBe(400)
    await withSettings({ 'webauthn.enabled': false }, async () => {
      for (const [method, path] of [
        ['POST', LOGIN],
        ['GET', `${LOGIN}/discoverable`],
        ['POST', `${LOGIN}/discoverable`],
      ] as const) {
        const res = await t.request(
          method,
          path,
          method === 'POST' ? { body: { uuid: crypto.randomUUID(), public_key_credential: assertion } } : {},
        )
        expect(res.body).toEqual({ errors: ['security keys are disabled'] })
      }
    })
    await withSettings({ 'webauthn.allow_discoverable': false }, async () => {
      for (const [method, path] of [
        ['GET', `${LOGIN}/discoverable`],
        ['POST', `${LOGIN}/discoverable`],
      ] as const) {
        const res = await t.request(
          method,
          path,
          method === 'POST' ? { body: { uuid: crypto.randomUUID(), public_key_credential: assertion } } : {},
        )
        expect(res.status).toBe(400)
        expect(res.body).toEqual({ errors: ['usernameless security key login is disabled'] })
      }
    })
  })
})

describe('purge-security-keys job', () => {
  test('removes stale pending keys and expired challenges, keeps the rest', async () => {
    const { user, cookie } = await session()
    const kept = await addKey(user.uuid)
    const stale = (await t.request('POST', BASE, { cookie, body: { name: 'stale' } })).body.security_key
    await db()
      .update(userSecurityKeys)
      .set({ created: new Date(Date.now() - 3_600_000) })
      .where(eq(userSecurityKeys.uuid, stale.uuid))
    const { uuid } = (await t.request('GET', `${LOGIN}?user=someone`)).body
    await db()
      .update(userSecurityKeyChallenges)
      .set({ expires: new Date(Date.now() - 1000) })
      .where(eq(userSecurityKeyChallenges.uuid, uuid))
    await t.kernel.jobs.runNow('users:purge-security-keys')
    expect(await db().$count(userSecurityKeys, eq(userSecurityKeys.uuid, stale.uuid))).toBe(0)
    expect(await db().$count(userSecurityKeys, eq(userSecurityKeys.uuid, kept.uuid))).toBe(1)
    expect(await db().$count(userSecurityKeyChallenges, eq(userSecurityKeyChallenges.uuid, uuid))).toBe(0)
  })
})
