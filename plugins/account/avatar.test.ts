import { beforeAll, describe, expect, test } from 'bun:test'
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { eq } from 'drizzle-orm'
import { activitiesOf, useTestApp, makeApiKey } from 'hatchery/testing'
import usersPlugin, { tables as userTables } from '../users'
import { jpeg, png, session, webp } from './test-helpers'

const AVATAR = '/api/client/account/avatar'
const URL_OF = (uuid: string, ext: string) => new RegExp(`^http://localhost:8000/avatars/${uuid}/[A-Za-z0-9]{8}\\.${ext}$`)

describe('avatar', () => {
  const t = useTestApp()
  const put = (body: Uint8Array, cookie: string, contentType = 'application/octet-stream') =>
    t.request('PUT', AVATAR, { cookie, body, headers: { 'content-type': contentType } })
  const stored = async (uuid: string) => {
    const [row] = await t.kernel.database.db
      .select({ avatar: userTables.users.avatar })
      .from(userTables.users)
      .where(eq(userTables.users.uuid, uuid))
    return row.avatar
  }
  const pathOf = (url: string) => new URL(url).pathname

  describe('PUT /api/client/account/avatar', () => {
    test('stores the uploaded bytes, answers the public URL, and replaces the previous file', async () => {
      const { user, cookie } = await session(t)
      const image = png(256, 256)
      const res = await put(image, cookie)
      expect(res.status).toBe(200)
      expect(res.body.avatar).toMatch(URL_OF(user.uuid, 'png'))
      const path = pathOf(res.body.avatar).slice(1)
      expect(await stored(user.uuid)).toBe(path)
      expect(readFileSync(join(t.config.dataDir, path)).equals(image)).toBe(true)
      expect((await activitiesOf(t, user.uuid, 'account:update-avatar')).map((a) => a.data)).toEqual([{}])
      // The account object shows it at once (the users plugin's cache was invalidated).
      expect((await t.request('GET', '/api/client/account', { cookie })).body.user.avatar).toBe(res.body.avatar)

      // The Content-Type does not matter: the bytes decide.
      const second = await put(jpeg(640, 480), cookie, 'image/gif')
      expect(second.status).toBe(200)
      expect(second.body.avatar).toMatch(URL_OF(user.uuid, 'jpg'))
      expect(existsSync(join(t.config.dataDir, path))).toBe(false)
      expect(readdirSync(join(t.config.dataDir, 'avatars', user.uuid))).toEqual([pathOf(second.body.avatar).split('/').at(-1)!])

      const third = await put(webp(64, 64, 'VP8L'), cookie, 'application/json')
      expect(third.status).toBe(200)
      expect(third.body.avatar).toMatch(URL_OF(user.uuid, 'webp'))
    })

    test('metadata (EXIF with a GPS position) is removed before the file is stored and served', async () => {
      const { cookie } = await session(t)
      const exif = [0xff, 0xe1, 0x00, 0x1a, ...'Exif\0\0GPS 48.8584N 2.294'.split('').map((c) => c.charCodeAt(0))]
      const original = jpeg(200, 200)
      const tagged = new Uint8Array([...original.subarray(0, 2), ...exif, ...original.subarray(2)])
      const res = await put(tagged, cookie)
      expect(res.status).toBe(200)
      const file = await t.handle(new Request(res.body.avatar.replace('http://localhost:8000', 'http://localhost')))
      const served = new Uint8Array(await file.arrayBuffer())
      expect(Buffer.from(served).includes(Buffer.from('GPS 48.8584N'))).toBe(false)
      expect(Buffer.from(served).equals(Buffer.from(original))).toBe(true)
    })

    test('deleting the user through the admin API removes their avatar files', async () => {
      const { user, cookie } = await session(t)
      expect((await put(png(128, 128), cookie)).status).toBe(200)
      const dir = join(t.config.dataDir, 'avatars', user.uuid)
      expect(readdirSync(dir)).toHaveLength(1)
      const admin = await session(t, { admin: true })
      const res = await t.request('DELETE', `/api/admin/users/${user.uuid}`, { cookie: admin.cookie })
      expect(res.status).toBe(200)
      expect(existsSync(dir)).toBe(false)
    })

    test('400 with image: messages for empty, unknown, other formats, bad sizes and unreadable headers; nothing is stored', async () => {
      const { user, cookie } = await session(t)
      const cases: [Uint8Array, string][] = [
        [new Uint8Array(), 'image: payload cannot be empty'],
        [new TextEncoder().encode('just some text, not an image'), 'image: unrecognized image format'],
        [new TextEncoder().encode('GIF89a\x40\x00\x40\x00'), 'image: only PNG, JPEG, and WebP formats are allowed'],
        [png(32, 32), 'image: invalid resolution, dimensions must not be smaller than 64px and must not exceed 4096px'],
        [webp(5000, 100, 'VP8X'), 'image: invalid resolution, dimensions must not be smaller than 64px and must not exceed 4096px'],
        [png(100, 100).subarray(0, 16), 'image: unable to decode'],
        [jpeg(100, 100, { frame: false }), 'image: unable to decode'],
      ]
      for (const [body, message] of cases) {
        const res = await put(body, cookie)
        expect(res.status).toBe(400)
        expect(res.body).toEqual({ errors: [message] })
      }
      expect(await stored(user.uuid)).toBeNull()
      expect(existsSync(join(t.config.dataDir, 'avatars', user.uuid))).toBe(false)
    })

    test('413 beyond 2 MiB', async () => {
      const { cookie } = await session(t)
      const big = new Uint8Array(2 * 1024 * 1024 + 1)
      big.set(png(100, 100))
      const res = await put(big, cookie)
      expect(res.status).toBe(413)
    })

    test('409 for a frozen account', async () => {
      const { user, cookie } = await session(t, { frozen: true })
      const res = await put(png(100, 100), cookie)
      expect(res.status).toBe(409)
      expect(res.body).toEqual({ errors: ['account is frozen'] })
      expect(await stored(user.uuid)).toBeNull()
    })

    test('401 without credentials, 403 for an API key without account.avatar', async () => {
      expect((await t.request('PUT', AVATAR, { body: png(100, 100) })).status).toBe(401)
      const { cookie } = await session(t)
      const { key } = await makeApiKey(t, cookie, { user_permissions: ['account.infos'] })
      expect((await t.request('PUT', AVATAR, { token: key, body: png(100, 100) })).status).toBe(403)
      const { key: allowed } = await makeApiKey(t, cookie, { user_permissions: ['account.avatar'] })
      expect((await t.request('PUT', AVATAR, { token: allowed, body: png(100, 100) })).status).toBe(200)
    })
  })

  describe('DELETE /api/client/account/avatar', () => {
    test('removes the avatar and its file; 400 when there is none', async () => {
      const { user, cookie } = await session(t)
      const { body } = await put(png(100, 100), cookie)
      const file = join(t.config.dataDir, pathOf(body.avatar))
      expect(existsSync(file)).toBe(true)
      const res = await t.request('DELETE', AVATAR, { cookie })
      expect(res.status).toBe(200)
      expect(res.body).toEqual({})
      expect(await stored(user.uuid)).toBeNull()
      expect(existsSync(file)).toBe(false)
      expect((await activitiesOf(t, user.uuid, 'account:delete-avatar')).map((a) => a.data)).toEqual([{}])
      expect((await t.request('GET', '/api/client/account', { cookie })).body.user.avatar).toBeNull()
      const again = await t.request('DELETE', AVATAR, { cookie })
      expect(again.status).toBe(400)
      expect(again.body).toEqual({ errors: ['no avatar to delete'] })
    })

    test('a frozen account may still remove its avatar', async () => {
      const { user, cookie } = await session(t)
      expect((await put(png(100, 100), cookie)).status).toBe(200)
      await t.kernel.database.db.update(userTables.users).set({ frozen: true }).where(eq(userTables.users.uuid, user.uuid))
      t.kernel.contexts.get('users')!.api(usersPlugin).credentials.invalidate()
      expect((await put(png(100, 100), cookie)).status).toBe(409)
      expect((await t.request('DELETE', AVATAR, { cookie })).status).toBe(200)
    })

    test('401 without credentials, 403 for an API key without account.avatar', async () => {
      expect((await t.request('DELETE', AVATAR)).status).toBe(401)
      const { cookie } = await session(t)
      const { key } = await makeApiKey(t, cookie, { user_permissions: [] })
      expect((await t.request('DELETE', AVATAR, { token: key })).status).toBe(403)
    })
  })

  describe('GET /avatars/{user}/{file}', () => {
    let url: string
    let uuid: string
    beforeAll(async () => {
      const s = await session(t)
      uuid = s.user.uuid
      url = (await put(webp(200, 200, 'VP8 '), s.cookie)).body.avatar
    })

    test('serves the file without authentication, with its type and nosniff', async () => {
      const res = await t.app.handle(new Request(`http://localhost${pathOf(url)}`))
      expect(res.status).toBe(200)
      expect(res.headers.get('content-type')).toBe('image/webp')
      expect(res.headers.get('x-content-type-options')).toBe('nosniff')
      expect(Buffer.from(await res.arrayBuffer()).equals(webp(200, 200, 'VP8 '))).toBe(true)
    })

    test('404 for a file that does not exist', async () => {
      const res = await t.request('GET', `/avatars/${uuid}/AAAAAAAA.png`)
      expect(res.status).toBe(404)
      expect(res.body).toEqual({ errors: ['avatar not found'] })
      expect((await t.request('GET', `/avatars/00000000-0000-4000-8000-000000000000/${pathOf(url).split('/').at(-1)}`)).status).toBe(404)
    })

    test('path traversal attempts never reach a file', async () => {
      // A file a traversal would aim at, inside and outside the avatars folder.
      writeFileSync(join(t.config.dataDir, 'secret.png'), 'secret')
      writeFileSync(join(t.config.dataDir, 'avatars', uuid, 'notes.txt'), 'secret')
      const attempts = [
        `/avatars/${uuid}/..%2F..%2Fsecret.png`,
        `/avatars/${uuid}/%2e%2e%2fsecret.png`,
        `/avatars/..%2F..%2F/secret.png`,
        `/avatars/%2e%2e/secret.png`,
        `/avatars/${uuid}/notes.txt`,
        `/avatars/${uuid}/abcdefgh.png%00.txt`,
        `/avatars/${uuid}/abcdefgh.PNG`,
        `/avatars/${uuid.toUpperCase().replace(/-/g, '')}/abcdefgh.png`,
        `/avatars/../secret.png`,
        `/avatars/${uuid}/../../secret.png`,
      ]
      for (const path of attempts) {
        const res = await t.request('GET', path)
        expect([400, 404]).toContain(res.status)
        expect(res.text).not.toContain('secret')
      }
    })
  })
})
