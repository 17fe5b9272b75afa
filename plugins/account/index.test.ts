import { describe, expect, test } from 'bun:test'
import { expectRoutesGuarded, useTestApp } from 'hatchery/testing'
import { session } from './test-helpers'

describe('account plugin', () => {
  const t = useTestApp()

  test('every /api/client route of account answers 401 without credentials and 403 to a key without its permission', async () => {
    const swept = await expectRoutesGuarded(t, {
      namespace: 'client',
      plugin: 'account',
      bodies: { 'POST /api/client/account/ssh-keys/import': { provider: 'github', username: 'octocat' } },
    })
    expect(swept.length).toBeGreaterThanOrEqual(10)
  })

  test('every route is in /openapi.json with its permission and schemas', async () => {
    const res = await t.request('GET', '/openapi.json')
    expect(res.status).toBe(200)
    const paths = res.body.paths
    const expected: [string, string, string | null][] = [
      ['/api/client/account/ssh-keys', 'get', 'user:ssh-keys.read'],
      ['/api/client/account/ssh-keys', 'post', 'user:ssh-keys.create'],
      ['/api/client/account/ssh-keys/import', 'post', 'user:ssh-keys.create'],
      ['/api/client/account/ssh-keys/{ssh_key}', 'patch', 'user:ssh-keys.update'],
      ['/api/client/account/ssh-keys/{ssh_key}', 'delete', 'user:ssh-keys.delete'],
      ['/api/client/account/command-snippets', 'get', 'user:command-snippets.read'],
      ['/api/client/account/command-snippets', 'post', 'user:command-snippets.create'],
      ['/api/client/account/command-snippets/{command_snippet}', 'patch', 'user:command-snippets.update'],
      ['/api/client/account/command-snippets/{command_snippet}', 'delete', 'user:command-snippets.delete'],
      ['/api/client/account/command-snippets/{command_snippet}/duplicate', 'post', 'user:command-snippets.create'],
      ['/api/client/account/avatar', 'put', 'user:account.avatar'],
      ['/api/client/account/avatar', 'delete', 'user:account.avatar'],
      ['/api/client/servers/groups', 'get', 'user:servers.read'],
      ['/api/client/servers/groups', 'post', 'user:servers.create'],
      ['/api/client/servers/groups/order', 'put', 'user:servers.update'],
      ['/api/client/servers/groups/{server_group}', 'get', 'user:servers.read'],
      ['/api/client/servers/groups/{server_group}', 'patch', 'user:servers.update'],
      ['/api/client/servers/groups/{server_group}', 'delete', 'user:servers.delete'],
      ['/avatars/{user}/{file}', 'get', null],
    ]
    for (const [path, method, permission] of expected) {
      const op = paths[path]?.[method]
      expect(op, `${method.toUpperCase()} ${path}`).toBeDefined()
      if (permission) expect(op['x-permission']).toEqual([permission])
      else expect(op['x-permission']).toBeUndefined()
    }
    expect(Object.keys(paths['/api/client/account/avatar'].put.requestBody.content)).toEqual(['application/octet-stream'])
    const body = paths['/api/client/account/ssh-keys'].post.requestBody.content['application/json'].schema
    expect(body.properties.name).toMatchObject({ minLength: 3, maxLength: 31 })
    expect(paths['/avatars/{user}/{file}'].get.security).toEqual([])
  })

  test('the import URLs are a plugin setting with the public APIs as default', async () => {
    expect(await t.kernel.settings.get('account.ssh_key_import_urls')).toEqual({
      github: 'https://api.github.com',
      gitlab: 'https://gitlab.com',
      launchpad: 'https://api.launchpad.net',
    })
  })
})

describe('account routes in every encoding', () => {
  const t = useTestApp()

  for (const as of ['msgpack', 'xml'] as const) {
    test(`create and list command snippets in ${as}`, async () => {
      const { cookie } = await session(t)
      const egg = '11111111-1111-4111-8111-111111111111'
      const res = await t.request('POST', '/api/client/account/command-snippets', {
        as,
        cookie,
        body: { name: `in ${as}`, eggs: [egg], command: 'say hi' },
      })
      expect(res.status).toBe(200)
      const snippet = as === 'xml' ? res.body.Response.command_snippet : res.body.command_snippet
      expect(snippet).toMatchObject({ name: `in ${as}`, command: 'say hi' })
      // XML has no arrays: one <eggs> element parses as a plain value.
      expect([snippet.eggs].flat()).toEqual([egg])
      const list = await t.request('GET', '/api/client/account/command-snippets', { as, cookie })
      expect(list.status).toBe(200)
      const page = as === 'xml' ? list.body.Response.command_snippets : list.body.command_snippets
      expect(Number(page.total)).toBe(1)
      const bad = await t.request('POST', '/api/client/account/ssh-keys', { as, cookie, body: { name: 'bad', public_key: 'nope' } })
      expect(bad.status).toBe(400)
    })
  }
})
