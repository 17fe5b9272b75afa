import { describe, expect, test } from 'bun:test'
import { randomUUID } from 'node:crypto'
import { pack, unpack } from 'msgpackr'
import { remoteServer } from './fake-panel'
import { useDouble } from './harness'
import { startWingsDouble } from './index'

const kit = useDouble()
const { call, createServer } = kit

describe('authentication (spec 04 §1.2)', () => {
  test('no header, another scheme and a wrong token are 401 with WWW-Authenticate', async () => {
    for (const [token, headers, message] of [
      [null, {}, 'invalid authorization header'],
      [null, { authorization: `Basic ${kit.panel.token}` }, 'invalid authorization header'],
      ['x'.repeat(64), {}, 'invalid authorization token'],
      [`${kit.panel.tokenId}.${kit.panel.token}`, {}, 'invalid authorization token'],
    ] as const) {
      const response = await call('GET', '/api/system/overview', undefined, { token, headers })
      expect(response.status).toBe(401)
      expect(response.json).toEqual({ error: message })
      expect(response.headers.get('www-authenticate')).toBe('Bearer')
    }
  })

  test('an unknown route is 404 route not found, a wrong method 405', async () => {
    expect(await call('GET', '/api/nothing')).toMatchObject({ status: 404, json: { error: 'route not found' } })
    expect(await call('PATCH', '/api/servers')).toMatchObject({ status: 405 })
  })

  test('the request log records method, path, headers and body', async () => {
    await call('POST', '/api/servers', { uuid: 'nope' })
    const logged = kit.wings.requests.at(-1)!
    expect(logged).toMatchObject({ method: 'POST', path: '/api/servers', body: { uuid: 'nope' }, status: 400 })
    expect(logged.headers.authorization).toBe(`Bearer ${kit.panel.token}`)
    expect(logged.error).toContain('/uuid')
  })
})

describe('POST /api/servers', () => {
  test('fetches the configuration from the panel, answers 200, then reports the install', async () => {
    const uuid = randomUUID()
    kit.panel.configs.set(uuid, remoteServer(uuid))
    const created = await call('POST', '/api/servers', { uuid, start_on_completion: false, skip_scripts: false })
    expect(created).toMatchObject({ status: 200, json: {} })
    const fetched = kit.panel.calls.find((c) => c.method === 'GET' && c.path === `/api/remote/servers/${uuid}`)
    expect(fetched?.authorized).toBe(true)
    expect(kit.wings.servers.get(uuid)?.installing).toBe(true)
    const report = await kit.panel.waitFor('POST', `/api/remote/servers/${uuid}/install`)
    expect(report.body).toEqual({ successful: true, reinstall: false })
    expect(kit.panel.calls.some((c) => c.method === 'GET' && c.path === `/api/remote/servers/${uuid}/install`)).toBe(true)
    await kit.wings.idle()
    expect(kit.wings.servers.get(uuid)).toMatchObject({ installing: false, state: 'offline' })
    expect((await call('GET', `/api/servers/${uuid}/logs/install`)).text).toContain('installation finished')
  })

  test('start_on_completion starts the server after a successful install', async () => {
    const uuid = randomUUID()
    kit.panel.configs.set(uuid, remoteServer(uuid))
    await call('POST', '/api/servers', { uuid, start_on_completion: true, skip_scripts: false })
    await kit.panel.waitFor('POST', `/api/remote/servers/${uuid}/install`)
    await kit.wings.idle()
    expect(kit.wings.servers.get(uuid)?.state).toBe('running')
  })

  test('skip_scripts installs nothing; a known uuid is 409', async () => {
    const uuid = await createServer({ skip_scripts: true })
    await kit.wings.idle()
    expect(kit.panel.calls.some((c) => c.path === `/api/remote/servers/${uuid}/install`)).toBe(false)
    expect(await call('POST', '/api/servers', { uuid })).toMatchObject({
      status: 409,
      json: { error: 'server with this uuid already exists' },
    })
  })

  test('a body Wings would refuse is 400 and creates nothing', async () => {
    const uuid = randomUUID()
    kit.panel.configs.set(uuid, remoteServer(uuid))
    expect((await call('POST', '/api/servers', { uuid, skip_scripts: 'yes' })).status).toBe(400)
    expect((await call('POST', '/api/servers', { uuid: 42 })).status).toBe(400)
    expect((await call('POST', '/api/servers', undefined, { raw: JSON.stringify({ uuid }) })).json.error).toContain('Content-Type')
    expect(
      (await call('POST', '/api/servers', undefined, { raw: '{"uuid":', headers: { 'content-type': 'application/json' } })).status,
    ).toBe(400)
    expect(kit.wings.servers.has(uuid)).toBe(false)
  })

  test('a configuration the panel gets wrong is refused and recorded as a problem', async () => {
    const uuid = randomUUID()
    const bad = remoteServer(uuid)
    delete (bad.settings.build as any).overhead_memory
    kit.panel.configs.set(uuid, bad)
    const refused = await call('POST', '/api/servers', { uuid })
    expect(refused.status).toBe(400)
    expect(refused.json.error).toContain('/settings/build/overhead_memory')
    expect(kit.wings.problems.some((p) => p.includes(uuid) && p.includes('overhead_memory'))).toBe(true)
    expect(kit.wings.servers.has(uuid)).toBe(false)
  })

  test('a panel that does not know the server makes the create fail with 502', async () => {
    const response = await call('POST', '/api/servers', { uuid: randomUUID() })
    expect(response.status).toBe(502)
  })
})

describe('MessagePack (spec 04 §1.3)', () => {
  test('bodies are read and answers written as MessagePack when Accept asks for it', async () => {
    const uuid = randomUUID()
    kit.panel.configs.set(uuid, remoteServer(uuid))
    const response = await fetch(`${kit.wings.url}/api/servers`, {
      method: 'POST',
      headers: { authorization: `Bearer ${kit.panel.token}`, 'content-type': 'application/msgpack', accept: 'application/msgpack' },
      body: pack({ uuid, start_on_completion: false, skip_scripts: true }),
    })
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('application/msgpack')
    expect(unpack(new Uint8Array(await response.arrayBuffer()))).toEqual({})
    const error = await fetch(`${kit.wings.url}/api/servers/${uuid}/commands`, {
      method: 'POST',
      headers: { authorization: `Bearer ${kit.panel.token}`, 'content-type': 'application/msgpack', accept: 'application/msgpack' },
      body: pack({ commands: ['x'] }),
    })
    expect(error.status).toBe(417)
    expect(unpack(new Uint8Array(await error.arrayBuffer()))).toEqual({ error: 'server is offline' })
  })

  test('JSON wins when Accept prefers it', async () => {
    const response = await call('GET', '/api/system/overview', undefined, {
      headers: { accept: 'application/json, application/msgpack;q=0.9' },
    })
    expect(response.headers.get('content-type')).toBe('application/json')
  })
})

test('panelFetch routes the callbacks to an app that does not listen', async () => {
  const seen: string[] = []
  const uuid = randomUUID()
  const inProcess = await startWingsDouble({
    panelUrl: 'http://panel.invalid',
    tokenId: kit.panel.tokenId,
    token: kit.panel.token,
    installDelayMs: 1,
    panelFetch: (request) => {
      seen.push(`${request.method} ${new URL(request.url).pathname} ${request.headers.get('authorization')}`)
      const install = request.url.endsWith('/install')
      return Response.json(install ? { container_image: 'a', entrypoint: 'b', script: 'c', environment: {} } : remoteServer(uuid))
    },
  })
  try {
    const response = await fetch(`${inProcess.url}/api/servers`, {
      method: 'POST',
      headers: { authorization: `Bearer ${kit.panel.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ uuid }),
    })
    expect(response.status).toBe(200)
    await inProcess.idle()
    expect(seen).toEqual([
      `GET /api/remote/servers/${uuid} Bearer ${kit.panel.tokenId}.${kit.panel.token}`,
      `GET /api/remote/servers/${uuid}/install Bearer ${kit.panel.tokenId}.${kit.panel.token}`,
      `POST /api/remote/servers/${uuid}/install Bearer ${kit.panel.tokenId}.${kit.panel.token}`,
    ])
  } finally {
    await inProcess.stop()
  }
})
