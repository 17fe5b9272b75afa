import { expect } from 'bun:test'
import { login, makeUser, type TestApp } from 'hatchery/testing'
import { clientKit } from '../../servers/client/test-kit'

export const ALL_FILES = ['files.read', 'files.read-content', 'files.create', 'files.update', 'files.delete', 'files.archive']
/** Ways to name `secrets/<x>` that must all be refused to a subuser hiding `secrets/`. */
export const SPELLINGS = (x: string) => [
  `secrets/${x}`,
  `/secrets/${x}`,
  `//secrets/${x}`,
  `./secrets/${x}`,
  `a/../secrets/${x}`,
  `secrets\\${x}`,
  `secrets/./${x}`,
]

type Who = { cookie?: string; token?: string }

/**
 * The servers client kit plus file helpers: `files(uuid, method, route, who, body?, query?)` calls
 * `/api/client/servers/{uuid}/files/{route}`; `hider(uuid)` is a subuser with every file permission
 * and `ignored_files: ['secrets/']`; `seed(uuid, files)` writes files as the owner.
 */
export function filesKit(t: TestApp) {
  const k = clientKit(t)
  const files = (uuid: string, method: string, route: string, who: Who, body?: unknown, headers?: Record<string, string>) =>
    t.request(method, `/api/client/servers/${uuid}/files/${route}`, { ...who, body, headers })
  async function seed(uuid: string, contents: Record<string, string>) {
    for (const [path, text] of Object.entries(contents)) {
      const res = await files(uuid, 'POST', `write?file=${encodeURIComponent(path)}`, { cookie: k.owner.cookie }, text)
      expect(res.status).toBe(200)
    }
  }
  async function hider(uuid: string, ignored = ['secrets/'], permissions = ALL_FILES) {
    const user = await makeUser(t)
    const res = await t.request('POST', `/api/client/servers/${uuid}/subusers`, {
      cookie: k.owner.cookie,
      body: { email: user.email, permissions, ignored_files: ignored },
    })
    expect(res.status).toBe(200)
    return { ...user, cookie: await login(t, user) }
  }
  const tree = (uuid: string) => k.at.wings.servers.get(uuid)!.files
  return Object.assign(k, { files, seed, hider, tree })
}
