import { afterEach, beforeAll, describe, expect, test } from 'bun:test'
import { eq } from 'drizzle-orm'
import { activitiesOf, useTestApp, makeApiKey } from 'hatchery/testing'
import { tables } from '.'
import { DSA_PUBLIC_KEY, ISO_TIME, session, sshKey, UUID } from './test-helpers'

const BASE = '/api/client/account/ssh-keys'
const UNKNOWN = '00000000-0000-4000-8000-000000000000'

describe('SSH keys', () => {
  const t = useTestApp()
  let cookie: string
  let userUuid: string
  let other: { cookie: string; uuid: string }

  beforeAll(async () => {
    const s = await session(t)
    cookie = s.cookie
    userUuid = s.user.uuid
    const o = await session(t)
    other = { cookie: o.cookie, uuid: o.user.uuid }
  })

  afterEach(async () => {
    await t.kernel.settings.reset(['user.max_ssh_key_count'])
  })

  const add = (name: string, public_key: string, c = cookie) => t.request('POST', BASE, { cookie: c, body: { name, public_key } })

  describe('POST /api/client/account/ssh-keys', () => {
    test('adds an ed25519 key and answers the key with its SHA256 fingerprint', async () => {
      const key = sshKey('ed25519')
      const res = await add('laptop', key.line)
      expect(res.status).toBe(200)
      expect(res.body).toEqual({
        ssh_key: {
          uuid: expect.stringMatching(UUID),
          name: 'laptop',
          fingerprint: key.fingerprint,
          created: expect.stringMatching(ISO_TIME),
        },
      })
      expect(res.body.ssh_key.fingerprint).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/)
      const [entry] = await activitiesOf(t, userUuid, 'ssh-key:create')
      expect(entry.data).toEqual({ uuid: res.body.ssh_key.uuid, fingerprint: key.fingerprint, name: 'laptop' })
      const [row] = await t.kernel.database.db.select().from(tables.userSshKeys).where(eq(tables.userSshKeys.uuid, res.body.ssh_key.uuid))
      expect(row.public_key).toBeInstanceOf(Buffer)
      expect(row.public_key.equals(Buffer.from(key.line.split(' ')[1], 'base64'))).toBe(true)
    })

    test('accepts ECDSA and RSA keys of 2048 bits', async () => {
      for (const [name, kind] of [
        ['ec256', 'ecdsa-p256'],
        ['ec384', 'ecdsa-p384'],
        ['rsa', 'rsa-2048'],
      ] as const) {
        const key = sshKey(kind)
        const res = await add(name, key.line)
        expect(res.status).toBe(200)
        expect(res.body.ssh_key.fingerprint).toBe(key.fingerprint)
      }
    })

    test('an API key with ssh-keys.create may add keys', async () => {
      const { key } = await makeApiKey(t, cookie, { user_permissions: ['ssh-keys.create'] })
      const res = await t.request('POST', BASE, { token: key, body: { name: 'from-api', public_key: sshKey().line } })
      expect(res.status).toBe(200)
    })

    test('refuses RSA keys under 2048 bits, DSA keys, private keys and malformed keys', async () => {
      const cases: [string, RegExp][] = [
        [sshKey('rsa-1024').line, /^public_key: rsa keys must have at least 2048 bits/],
        [DSA_PUBLIC_KEY, /^public_key: unsupported key type "ssh-dss"/],
        [sshKey().privatePem, /^public_key: this is a private key/],
        ['ssh-ed25519 AAAA', /^public_key: /],
        ['not a key', /^public_key: not an OpenSSH public key/],
        [`${sshKey().line}\n${sshKey().line}`, /^public_key: only one key/],
        [sshKey().line.replace('ssh-ed25519', 'ssh-rsa'), /^public_key: the line says "ssh-rsa" but the key data is "ssh-ed25519"/],
      ]
      for (const [line, message] of cases) {
        const res = await add('bad-key', line)
        expect(res.status).toBe(400)
        expect(res.body.errors).toHaveLength(1)
        expect(res.body.errors[0]).toMatch(message)
      }
    })

    test('validates the name (3..31 characters)', async () => {
      for (const name of ['ab', 'x'.repeat(32)]) {
        const res = await add(name, sshKey().line)
        expect(res.status).toBe(400)
        expect(res.body.errors[0]).toStartWith('name: ')
      }
    })

    test('a name or a key the account already has is a 409; another account may add the same key', async () => {
      const key = sshKey()
      expect((await add('dup-name', key.line)).status).toBe(200)
      const sameName = await add('dup-name', sshKey().line)
      expect(sameName.status).toBe(409)
      expect(sameName.body).toEqual({ errors: ['ssh key with name or fingerprint already exists'] })
      const sameKey = await add('dup-key', key.line.replace('test@hatchery', 'another comment'))
      expect(sameKey.status).toBe(409)
      expect((await add('dup-name', key.line, other.cookie)).status).toBe(200)
    })

    test('user.max_ssh_key_count → 417, also under concurrent creates', async () => {
      const fresh = await session(t)
      await t.kernel.settings.update({ 'user.max_ssh_key_count': 2 })
      const results = await Promise.all([0, 1, 2, 3].map((i) => add(`k${i}x`, sshKey().line, fresh.cookie)))
      expect(results.map((r) => r.status).sort()).toEqual([200, 200, 417, 417])
      expect(results.find((r) => r.status === 417)!.body).toEqual({ errors: ['maximum number of ssh keys reached'] })
      const list = await t.request('GET', BASE, { cookie: fresh.cookie })
      expect(list.body.ssh_keys.total).toBe(2)
    })

    test('401 without credentials, 403 for an API key without ssh-keys.create', async () => {
      expect((await t.request('POST', BASE, { body: { name: 'anon', public_key: sshKey().line } })).status).toBe(401)
      const { key } = await makeApiKey(t, cookie, { user_permissions: ['ssh-keys.read'] })
      const res = await t.request('POST', BASE, { token: key, body: { name: 'nope', public_key: sshKey().line } })
      expect(res.status).toBe(403)
    })
  })

  describe('GET /api/client/account/ssh-keys', () => {
    let lister: { cookie: string }
    beforeAll(async () => {
      lister = await session(t)
      for (const name of ['alpha-key', 'beta-key', 'gamma-key']) expect((await add(name, sshKey().line, lister.cookie)).status).toBe(200)
    })

    test('lists the caller’s keys oldest first, paginated, searchable by name', async () => {
      const res = await t.request('GET', BASE, { cookie: lister.cookie })
      expect(res.status).toBe(200)
      expect(res.body.ssh_keys).toMatchObject({ total: 3, per_page: 10, page: 1 })
      expect(res.body.ssh_keys.data.map((k: any) => k.name)).toEqual(['alpha-key', 'beta-key', 'gamma-key'])
      expect(Object.keys(res.body.ssh_keys.data[0]).sort()).toEqual(['created', 'fingerprint', 'name', 'uuid'])

      const page2 = await t.request('GET', `${BASE}?per_page=2&page=2`, { cookie: lister.cookie })
      expect(page2.body.ssh_keys).toMatchObject({ total: 3, per_page: 2, page: 2 })
      expect(page2.body.ssh_keys.data.map((k: any) => k.name)).toEqual(['gamma-key'])

      const past = await t.request('GET', `${BASE}?per_page=2&page=5`, { cookie: lister.cookie })
      expect(past.body.ssh_keys).toEqual({ total: 3, per_page: 2, page: 5, data: [] })

      const search = await t.request('GET', `${BASE}?search=BETA`, { cookie: lister.cookie })
      expect(search.body.ssh_keys.data.map((k: any) => k.name)).toEqual(['beta-key'])
    })

    test('an API key with ssh-keys.read may list', async () => {
      const { key } = await makeApiKey(t, lister.cookie, { user_permissions: ['ssh-keys.read'] })
      const res = await t.request('GET', BASE, { token: key })
      expect(res.status).toBe(200)
      expect(res.body.ssh_keys.total).toBe(3)
    })

    test('400 for bad pagination, 401 without credentials, 403 without ssh-keys.read', async () => {
      const bad = await t.request('GET', `${BASE}?per_page=1000`, { cookie: lister.cookie })
      expect(bad.status).toBe(400)
      expect(bad.body.errors[0]).toStartWith('per_page: ')
      expect((await t.request('GET', `${BASE}?page=0`, { cookie: lister.cookie })).status).toBe(400)
      expect((await t.request('GET', BASE)).status).toBe(401)
      const { key } = await makeApiKey(t, lister.cookie, { user_permissions: [] })
      expect((await t.request('GET', BASE, { token: key })).status).toBe(403)
    })
  })

  describe('PATCH /api/client/account/ssh-keys/{ssh_key}', () => {
    test('renames a key and records it', async () => {
      const created = await add('old-name', sshKey().line)
      const uuid = created.body.ssh_key.uuid
      const res = await t.request('PATCH', `${BASE}/${uuid}`, { cookie, body: { name: 'new-name' } })
      expect(res.status).toBe(200)
      expect(res.body).toEqual({})
      const list = await t.request('GET', `${BASE}?search=new-name`, { cookie })
      expect(list.body.ssh_keys.data).toEqual([{ ...created.body.ssh_key, name: 'new-name' }])
      const entries = await activitiesOf(t, userUuid, 'ssh-key:update')
      expect(entries.at(-1)!.data).toEqual({ uuid, fingerprint: created.body.ssh_key.fingerprint, name: 'new-name' })
    })

    test('409 for a name in use, 404 for another account’s key or an unknown one, 400 for a bad uuid or name', async () => {
      const a = await add('patch-a', sshKey().line)
      await add('patch-b', sshKey().line)
      const taken = await t.request('PATCH', `${BASE}/${a.body.ssh_key.uuid}`, { cookie, body: { name: 'patch-b' } })
      expect(taken.status).toBe(409)
      expect(taken.body).toEqual({ errors: ['ssh key with name already exists'] })
      const foreign = await t.request('PATCH', `${BASE}/${a.body.ssh_key.uuid}`, { cookie: other.cookie, body: { name: 'stolen' } })
      expect(foreign.status).toBe(404)
      expect(foreign.body).toEqual({ errors: ['ssh key not found'] })
      expect((await t.request('PATCH', `${BASE}/${UNKNOWN}`, { cookie, body: { name: 'whatever' } })).status).toBe(404)
      const badUuid = await t.request('PATCH', `${BASE}/not-a-uuid`, { cookie, body: { name: 'whatever' } })
      expect(badUuid.status).toBe(400)
      expect(badUuid.body.errors[0]).toStartWith('ssh_key: ')
      expect((await t.request('PATCH', `${BASE}/${a.body.ssh_key.uuid}`, { cookie, body: { name: 'no' } })).status).toBe(400)
    })

    test('401 without credentials, 403 without ssh-keys.update', async () => {
      const a = await add('patch-auth', sshKey().line)
      expect((await t.request('PATCH', `${BASE}/${a.body.ssh_key.uuid}`, { body: { name: 'x-y-z' } })).status).toBe(401)
      const { key } = await makeApiKey(t, cookie, { user_permissions: ['ssh-keys.read'] })
      expect((await t.request('PATCH', `${BASE}/${a.body.ssh_key.uuid}`, { token: key, body: { name: 'x-y-z' } })).status).toBe(403)
    })
  })

  describe('DELETE /api/client/account/ssh-keys/{ssh_key}', () => {
    test('deletes a key and records it', async () => {
      const created = await add('to-delete', sshKey().line)
      const uuid = created.body.ssh_key.uuid
      const res = await t.request('DELETE', `${BASE}/${uuid}`, { cookie })
      expect(res.status).toBe(200)
      expect(res.body).toEqual({})
      expect((await t.request('GET', `${BASE}?search=to-delete`, { cookie })).body.ssh_keys.total).toBe(0)
      const entries = await activitiesOf(t, userUuid, 'ssh-key:delete')
      expect(entries.at(-1)!.data).toEqual({ uuid, fingerprint: created.body.ssh_key.fingerprint, name: 'to-delete' })
      expect((await t.request('DELETE', `${BASE}/${uuid}`, { cookie })).status).toBe(404)
    })

    test('404 for another account’s key, 400 for a bad uuid, 401 and 403', async () => {
      const a = await add('delete-guard', sshKey().line)
      const uuid = a.body.ssh_key.uuid
      expect((await t.request('DELETE', `${BASE}/${uuid}`, { cookie: other.cookie })).status).toBe(404)
      expect((await t.request('DELETE', `${BASE}/..%2F..%2Fx`, { cookie })).status).toBe(400)
      expect((await t.request('DELETE', `${BASE}/${uuid}`)).status).toBe(401)
      const { key } = await makeApiKey(t, cookie, { user_permissions: ['ssh-keys.read', 'ssh-keys.update'] })
      expect((await t.request('DELETE', `${BASE}/${uuid}`, { token: key })).status).toBe(403)
      expect((await t.request('GET', `${BASE}?search=delete-guard`, { cookie })).body.ssh_keys.total).toBe(1)
    })
  })
})
