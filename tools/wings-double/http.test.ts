import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { randomUUID } from 'node:crypto'
import { unpack, pack } from 'msgpackr'
import { remoteServer, startFakePanel, type FakePanel } from './fake-panel'
import { startWingsDouble, type WingsDouble } from './index'

let panel: FakePanel
let wings: WingsDouble

beforeAll(async () => {
  panel = startFakePanel()
  wings = await startWingsDouble({
    panelUrl: panel.url,
    tokenId: panel.tokenId,
    token: panel.token,
    installDelayMs: 10,
    callbackDelayMs: 5,
  })
})
afterAll(async () => {
  await wings.stop()
  await panel.stop()
})

interface CallOptions {
  token?: string | null
  headers?: Record<string, string>
  raw?: string | Uint8Array
}

async function call(method: string, path: string, body?: unknown, options: CallOptions = {}) {
  const token = options.token === undefined ? panel.token : options.token
  const response = await fetch(wings.url + path, {
    method,
    headers: {
      ...(token === null ? {} : { authorization: `Bearer ${token}` }),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...options.headers,
    },
    body: options.raw ?? (body === undefined ? undefined : JSON.stringify(body)),
  })
  const text = await response.text()
  let json: any
  try {
    json = JSON.parse(text)
  } catch {
    json = undefined
  }
  return { status: response.status, json, text, headers: response.headers }
}

/** Registers a server with the fake panel and creates it on the double. */
async function createServer(options: { skip_scripts?: boolean; patch?: Record<string, unknown> } = {}) {
  const uuid = randomUUID()
  panel.configs.set(uuid, remoteServer(uuid, options.patch))
  const created = await call('POST', '/api/servers', { uuid, start_on_completion: false, skip_scripts: options.skip_scripts ?? true })
  expect(created).toMatchObject({ status: 200, json: {} })
  return uuid
}

describe('authentication (spec 04 §1.2)', () => {
  test('no header, another scheme and a wrong token are 401 with WWW-Authenticate', async () => {
    for (const [token, headers, message] of [
      [null, {}, 'invalid authorization header'],
      [null, { authorization: `Basic ${panel.token}` }, 'invalid authorization header'],
      ['x'.repeat(64), {}, 'invalid authorization token'],
      [`${panel.tokenId}.${panel.token}`, {}, 'invalid authorization token'],
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
    const logged = wings.requests.at(-1)!
    expect(logged).toMatchObject({ method: 'POST', path: '/api/servers', body: { uuid: 'nope' }, status: 400 })
    expect(logged.headers.authorization).toBe(`Bearer ${panel.token}`)
    expect(logged.error).toContain('/uuid')
  })
})

describe('POST /api/servers', () => {
  test('fetches the configuration from the panel, answers 200, then reports the install', async () => {
    const uuid = randomUUID()
    panel.configs.set(uuid, remoteServer(uuid))
    const created = await call('POST', '/api/servers', { uuid, start_on_completion: false, skip_scripts: false })
    expect(created).toMatchObject({ status: 200, json: {} })
    const fetched = panel.calls.find((c) => c.method === 'GET' && c.path === `/api/remote/servers/${uuid}`)
    expect(fetched?.authorized).toBe(true)
    expect(wings.servers.get(uuid)?.installing).toBe(true)
    const report = await panel.waitFor('POST', `/api/remote/servers/${uuid}/install`)
    expect(report.body).toEqual({ successful: true, reinstall: false })
    expect(panel.calls.some((c) => c.method === 'GET' && c.path === `/api/remote/servers/${uuid}/install`)).toBe(true)
    await wings.idle()
    expect(wings.servers.get(uuid)).toMatchObject({ installing: false, state: 'offline' })
    expect((await call('GET', `/api/servers/${uuid}/logs/install`)).text).toContain('installation finished')
  })

  test('start_on_completion starts the server after a successful install', async () => {
    const uuid = randomUUID()
    panel.configs.set(uuid, remoteServer(uuid))
    await call('POST', '/api/servers', { uuid, start_on_completion: true, skip_scripts: false })
    await panel.waitFor('POST', `/api/remote/servers/${uuid}/install`)
    await wings.idle()
    expect(wings.servers.get(uuid)?.state).toBe('running')
  })

  test('skip_scripts installs nothing; a known uuid is 409', async () => {
    const uuid = await createServer({ skip_scripts: true })
    await wings.idle()
    expect(panel.calls.some((c) => c.path === `/api/remote/servers/${uuid}/install`)).toBe(false)
    expect(await call('POST', '/api/servers', { uuid })).toMatchObject({
      status: 409,
      json: { error: 'server with this uuid already exists' },
    })
  })

  test('a body Wings would refuse is 400 and creates nothing', async () => {
    const uuid = randomUUID()
    panel.configs.set(uuid, remoteServer(uuid))
    expect((await call('POST', '/api/servers', { uuid, skip_scripts: 'yes' })).status).toBe(400)
    expect((await call('POST', '/api/servers', { uuid: 42 })).status).toBe(400)
    expect((await call('POST', '/api/servers', undefined, { raw: JSON.stringify({ uuid }) })).json.error).toContain('Content-Type')
    expect(
      (await call('POST', '/api/servers', undefined, { raw: '{"uuid":', headers: { 'content-type': 'application/json' } })).status,
    ).toBe(400)
    expect(wings.servers.has(uuid)).toBe(false)
  })

  test('a configuration the panel gets wrong is refused and recorded as a problem', async () => {
    const uuid = randomUUID()
    const bad = remoteServer(uuid)
    delete (bad.settings.build as any).overhead_memory
    panel.configs.set(uuid, bad)
    const refused = await call('POST', '/api/servers', { uuid })
    expect(refused.status).toBe(400)
    expect(refused.json.error).toContain('/settings/build/overhead_memory')
    expect(wings.problems.some((p) => p.includes(uuid) && p.includes('overhead_memory'))).toBe(true)
    expect(wings.servers.has(uuid)).toBe(false)
  })

  test('a panel that does not know the server makes the create fail with 502', async () => {
    const response = await call('POST', '/api/servers', { uuid: randomUUID() })
    expect(response.status).toBe(502)
  })
})

describe('server routes', () => {
  test('an invalid uuid is 400, an unknown server 404', async () => {
    expect(await call('GET', '/api/servers/not-a-uuid')).toMatchObject({ status: 400, json: { error: 'invalid server uuid' } })
    expect(await call('GET', `/api/servers/${randomUUID()}`)).toMatchObject({ status: 404, json: { error: 'server not found' } })
  })

  test('power sets the state; commands are 417 while offline and logged while running', async () => {
    const uuid = await createServer()
    expect(await call('POST', `/api/servers/${uuid}/commands`, { commands: ['say hi'] })).toMatchObject({
      status: 417,
      json: { error: 'server is offline' },
    })
    expect(await call('POST', `/api/servers/${uuid}/power`, { action: 'start', wait_seconds: null })).toMatchObject({
      status: 202,
      json: {},
    })
    expect(wings.servers.get(uuid)?.state).toBe('running')
    expect((await call('POST', `/api/servers/${uuid}/commands`, { commands: ['say hi'] })).status).toBe(200)
    expect((await call('GET', `/api/servers/${uuid}/logs?lines=1`)).text).toBe('say hi\n')
    const usage = (await call('GET', '/api/servers/utilization')).json[uuid]
    expect(usage).toMatchObject({ state: 'running', memory_limit_bytes: 1024 * 1024 * 1024, cpu_limit_absolute: 100 })
    expect(Object.keys(usage.network)).toEqual(['rx_bytes', 'rx_packets', 'tx_bytes', 'tx_packets'])
    expect((await call('POST', `/api/servers/${uuid}/power`, { action: 'kill' })).status).toBe(202)
    expect(wings.servers.get(uuid)?.state).toBe('offline')
    expect((await call('POST', `/api/servers/${uuid}/power`, { action: 'explode' })).status).toBe(400)
  })

  test('node-wide power affects the selected servers', async () => {
    const uuid = await createServer()
    const response = await call('POST', '/api/servers/power', { servers: { type: 'uuids', uuids: [uuid, randomUUID()] }, action: 'start' })
    expect(response).toMatchObject({ status: 202, json: { affected: 1 } })
    expect((await call('POST', '/api/servers/power', { servers: { type: 'some' }, action: 'start' })).status).toBe(400)
  })

  test('sync stores the pushed document, re-fetches without one, and a suspended config stops the server', async () => {
    const uuid = await createServer()
    await call('POST', `/api/servers/${uuid}/power`, { action: 'start' })
    const pushed = remoteServer(uuid, { suspended: true, meta: { name: 'Renamed', description: 'x' } })
    expect(await call('POST', `/api/servers/${uuid}/sync`, { server: pushed })).toMatchObject({ status: 200, json: {} })
    expect(wings.servers.get(uuid)).toMatchObject({
      state: 'offline',
      config: { settings: { suspended: true, meta: { name: 'Renamed' } } },
    })
    panel.configs.set(uuid, remoteServer(uuid, { meta: { name: 'Fetched', description: '' } }))
    expect((await call('POST', `/api/servers/${uuid}/sync`, undefined, { raw: '' })).status).toBe(200)
    expect(wings.servers.get(uuid)?.config.settings.meta.name).toBe('Fetched')
    expect((await call('POST', `/api/servers/${uuid}/sync`, { server: { settings: {} } })).status).toBe(200)
    expect(wings.problems.some((p) => p.includes(`${uuid}/sync`))).toBe(true)
  })

  test('reinstall is 202 then reports, 409 while installing; install abort is 409 unless installing', async () => {
    const uuid = await createServer()
    expect(await call('POST', `/api/servers/${uuid}/install/abort`)).toMatchObject({
      status: 409,
      json: { error: 'server is not installing' },
    })
    await call('POST', `/api/servers/${uuid}/files/write?file=a.txt`, undefined, { raw: 'a' })
    const script = { container_image: 'alpine', entrypoint: 'ash', script: 'true', environment: {} }
    expect(await call('POST', `/api/servers/${uuid}/reinstall`, { truncate_directory: true, installation_script: script })).toMatchObject({
      status: 202,
    })
    expect(wings.servers.get(uuid)?.files.get('a.txt')).toBeUndefined()
    expect(await call('POST', `/api/servers/${uuid}/reinstall`, {})).toMatchObject({ status: 409, json: { error: 'server is locked' } })
    const report = await panel.waitFor('POST', `/api/remote/servers/${uuid}/install`)
    expect(report.body).toEqual({ successful: true, reinstall: true })
    await wings.idle()
    expect((await call('POST', `/api/servers/${uuid}/reinstall`, undefined, { raw: 'garbage' })).status).toBe(202)
    expect(await call('POST', `/api/servers/${uuid}/install/abort`)).toMatchObject({ status: 202 })
    await wings.idle()
    expect(wings.servers.get(uuid)?.installing).toBe(false)
  })

  test('ws/permissions and ws/deny answer 200 and validate their bodies', async () => {
    const uuid = await createServer()
    const user = randomUUID()
    const body = { user_permissions: [{ user, permissions: ['control.console'], ignored_files: [] }] }
    expect(await call('POST', `/api/servers/${uuid}/ws/permissions`, body)).toMatchObject({ status: 200, json: {} })
    expect(wings.servers.get(uuid)?.permissions.get(user)?.permissions).toEqual(['control.console'])
    expect((await call('POST', `/api/servers/${uuid}/ws/permissions`, { user_permissions: [{ user: 'x' }] })).status).toBe(400)
    expect(await call('POST', `/api/servers/${uuid}/ws/deny`, { jtis: [user] })).toMatchObject({ status: 200, json: {} })
    expect((await call('POST', `/api/servers/${uuid}/ws/deny`, { jtis: 'all' })).status).toBe(400)
  })

  test('DELETE removes the server; a second delete is 404', async () => {
    const uuid = await createServer()
    expect(await call('DELETE', `/api/servers/${uuid}`)).toMatchObject({ status: 200, json: {} })
    expect(wings.servers.has(uuid)).toBe(false)
    expect(await call('DELETE', `/api/servers/${uuid}`)).toMatchObject({ status: 404, json: { error: 'server not found' } })
  })
})

describe('files', () => {
  test('write, list and contents', async () => {
    const uuid = await createServer()
    const base = `/api/servers/${uuid}/files`
    expect(await call('POST', `${base}/write?file=/plugins/readme.txt`, undefined, { raw: 'hello' })).toMatchObject({
      status: 200,
      json: { revision_id: null },
    })
    await call('POST', `${base}/write?file=server.properties`, undefined, { raw: 'motd=x' })
    const listed = await call('GET', `${base}/list?directory=/`)
    expect(listed.json).toMatchObject({ total: 2, filesystem_primary: true, filesystem_writable: true, filesystem_fast: true })
    expect(listed.json.entries.map((e: any) => [e.name, e.directory])).toEqual([
      ['plugins', true],
      ['server.properties', false],
    ])
    expect(Object.keys(listed.json.entries[1]).sort()).toEqual(
      [
        'name',
        'mode',
        'mode_bits',
        'size',
        'size_physical',
        'editable',
        'inner_editable',
        'directory',
        'file',
        'symlink',
        'virtual',
        'mime',
        'created',
        'modified',
      ].sort(),
    )
    expect(listed.json.entries[0]).toMatchObject({ mode: 'drwxr-xr-x', mime: 'inode/directory', size: 5 })
    const paged = await call('GET', `${base}/list?directory=&per_page=1&page=2`)
    expect(paged.json.total).toBe(2)
    expect(paged.json.entries.map((e: any) => e.name)).toEqual(['server.properties'])
    const contents = await call('GET', `${base}/contents?file=plugins/readme.txt`)
    expect(contents).toMatchObject({ status: 200, text: 'hello' })
    expect(contents.headers.get('content-length')).toBe('5')
    const download = await call('GET', `${base}/contents?file=plugins/readme.txt&download=true`)
    expect(download.headers.get('content-disposition')).toBe('attachment; filename="readme.txt"')
  })

  test('404, 413 and 417 as Wings answers them', async () => {
    const uuid = await createServer()
    const base = `/api/servers/${uuid}/files`
    await call('POST', `${base}/write?file=dir/file.txt`, undefined, { raw: '0123456789' })
    expect(await call('GET', `${base}/list?directory=missing`)).toMatchObject({ status: 404, json: { error: 'path not found' } })
    expect(await call('GET', `${base}/list?directory=dir/file.txt`)).toMatchObject({ status: 417, json: { error: 'path not a directory' } })
    expect((await call('GET', `${base}/list`)).status).toBe(400)
    expect(await call('GET', `${base}/contents?file=nope.txt`)).toMatchObject({ status: 404, json: { error: 'file not found' } })
    expect(await call('GET', `${base}/contents?file=dir`)).toMatchObject({ status: 404 })
    expect(await call('GET', `${base}/contents?file=dir/file.txt&max_size=9`)).toMatchObject({ status: 413 })
    expect((await call('GET', `${base}/contents?file=dir/file.txt&max_size=-1`)).status).toBe(400)
    expect(await call('POST', `${base}/write?file=dir`, undefined, { raw: 'x' })).toMatchObject({
      status: 417,
      json: { error: 'file is not a file' },
    })
    // disk_space is 1 MiB in the fake panel's document.
    expect(await call('POST', `${base}/write?file=big.bin`, undefined, { raw: new Uint8Array(1024 * 1024 + 1) })).toMatchObject({
      status: 417,
    })
  })

  test('create-directory, rename and delete', async () => {
    const uuid = await createServer()
    const base = `/api/servers/${uuid}/files`
    expect((await call('POST', `${base}/create-directory`, { root: '/', name: 'world' })).status).toBe(200)
    await call('POST', `${base}/write?file=world/level.dat`, undefined, { raw: 'x' })
    expect(await call('PUT', `${base}/rename`, { root: '/', files: [{ from: 'world', to: 'world2' }] })).toMatchObject({
      json: { renamed: 1 },
    })
    expect(wings.servers.get(uuid)?.files.get('world2/level.dat')).toBeDefined()
    expect(await call('POST', `${base}/delete`, { root: '/', files: ['world2', 'ghost'] })).toMatchObject({ json: { deleted: 1 } })
    expect((await call('POST', `${base}/create-directory`, { path: '/', name: 'x' })).status).toBe(400)
  })

  test('copy, chmod and fingerprints', async () => {
    const uuid = await createServer()
    const base = `/api/servers/${uuid}/files`
    await call('POST', `${base}/write?file=cfg/a.yml`, undefined, { raw: 'abc' })
    expect((await call('POST', `${base}/copy`, { path: 'cfg/a.yml', name: null, overwrite: false, foreground: true })).json).toMatchObject({
      name: 'a copy.yml',
      size: 3,
      mime: 'application/yaml',
    })
    expect((await call('POST', `${base}/copy`, { path: 'cfg/a.yml', name: 'a copy.yml', overwrite: false })).status).toBe(409)
    expect((await call('POST', `${base}/copy`, { path: 'cfg/none.yml' })).status).toBe(404)
    expect((await call('POST', `${base}/chmod`, { root: 'cfg', files: [{ file: 'a.yml', mode: '600', recursive: false }] })).json).toEqual({
      updated: 1,
    })
    expect((await call('POST', `${base}/chmod`, { root: 'cfg', files: [{ file: 'a.yml', mode: 'rwx' }] })).status).toBe(400)
    const sums = await call('GET', `${base}/fingerprints?algorithm=sha1&files=cfg/a.yml&files=ghost`)
    expect(sums.json).toEqual({ fingerprints: { 'cfg/a.yml': 'a9993e364706816aba3e25717850c26c9cd0d89d' } })
    expect((await call('GET', `${base}/fingerprints?algorithm=sha3&files=cfg/a.yml`)).status).toBe(400)
  })
})

describe('backups', () => {
  test('create reports to the panel; a duplicate is 409; delete reports /deletion; unknown is 404', async () => {
    const uuid = await createServer()
    await call('POST', `/api/servers/${uuid}/files/write?file=a.txt`, undefined, { raw: 'abc' })
    const backup = randomUUID()
    expect(await call('POST', `/api/servers/${uuid}/backup`, { adapter: 'wings', uuid: backup, ignore: '' })).toMatchObject({
      status: 202,
      json: {},
    })
    expect((await call('POST', `/api/servers/${uuid}/backup`, { adapter: 'wings', uuid: backup, ignore: '' })).status).toBe(409)
    const report = await panel.waitFor('POST', `/api/remote/backups/${backup}`)
    expect(report.body).toMatchObject({
      checksum_type: 'sha1',
      size: 3,
      files: 1,
      successful: true,
      browsable: false,
      streaming: false,
      parts: [],
    })
    expect((report.body as any).checksum).toMatch(/^[0-9a-f]{40}$/)
    expect((await call('POST', `/api/servers/${uuid}/backup`, { adapter: 'local', uuid: randomUUID(), ignore: '' })).status).toBe(400)

    expect((await call('DELETE', `/api/backups/${backup}`, { server: uuid })).status).toBe(400)
    expect(await call('DELETE', `/api/backups/${backup}`, { adapter: 'wings', foreground: false, server: uuid })).toMatchObject({
      status: 202,
    })
    expect((await panel.waitFor('POST', `/api/remote/backups/${backup}/deletion`)).body).toEqual({ successful: true })
    await wings.idle()
    expect(wings.backups.has(backup)).toBe(false)
    expect(await call('DELETE', `/api/backups/${backup}`, { adapter: 'wings' })).toMatchObject({
      status: 404,
      json: { error: 'backup not found' },
    })
  })
})

describe('restores and schedules', () => {
  test('a restore is 202 and reports /restore; unknown backups are 404, s3 without a URL 400', async () => {
    const uuid = await createServer()
    const backup = randomUUID()
    await call('POST', `/api/servers/${uuid}/backup`, { adapter: 'wings', uuid: backup, ignore: '' })
    await panel.waitFor('POST', `/api/remote/backups/${backup}`)
    const restore = `/api/servers/${uuid}/backup/${backup}/restore`
    expect(await call('POST', restore, { adapter: 'wings', truncate_directory: false, download_url: null })).toMatchObject({
      status: 202,
      json: {},
    })
    expect((await panel.waitFor('POST', `/api/remote/backups/${backup}/restore`)).body).toEqual({ server_uuid: uuid, successful: true })
    expect((await call('POST', restore, { adapter: 'wings' })).status).toBe(400)
    expect((await call('POST', restore, { adapter: 's3', truncate_directory: false })).status).toBe(400)
    expect(
      (await call('POST', `/api/servers/${uuid}/backup/${randomUUID()}/restore`, { adapter: 'wings', truncate_directory: true })).status,
    ).toBe(404)
  })

  test('schedules of the synced configuration answer status, trigger and abort; others are 404', async () => {
    const schedule = randomUUID()
    const uuid = await createServer({ patch: { schedules: [{ uuid: schedule, triggers: [], condition: { type: 'none' }, actions: [] }] } })
    const base = `/api/servers/${uuid}/schedules`
    expect((await call('GET', `${base}/${schedule}`)).json).toEqual({ status: { running: false, errors: {}, step: null } })
    expect(await call('POST', `${base}/${schedule}/trigger`, { skip_condition: false })).toMatchObject({ status: 200, json: {} })
    expect((await call('POST', `${base}/${schedule}/trigger`, {})).status).toBe(400)
    expect((await call('POST', `${base}/${schedule}/abort`)).status).toBe(200)
    expect(await call('GET', `${base}/${randomUUID()}`)).toMatchObject({ status: 404, json: { error: 'schedule not found' } })
  })
})

describe('system and node routes', () => {
  test('overview, stats, logs and config carry the shapes the panel reads', async () => {
    const overview = (await call('GET', '/api/system/overview')).json
    expect(Object.keys(overview).sort()).toEqual([
      'architecture',
      'container_type',
      'cpu',
      'kernel_version',
      'local_time',
      'memory',
      'servers',
      'version',
    ])
    expect(Math.abs(Date.parse(overview.local_time) - Date.now())).toBeLessThan(5000)
    expect((await call('GET', '/api/system/stats')).json.stats.memory).toHaveProperty('used_process')
    expect((await call('GET', '/api/system/logs')).json.log_files[0]).toMatchObject({ name: 'wings.log', compression_type: 'none' })
    expect((await call('GET', '/api/system/logs/wings.log?lines=1')).text.split('\n').filter(Boolean)).toHaveLength(1)
    expect((await call('GET', '/api/system/logs/other.log')).status).toBe(404)
    const config = (await call('GET', '/api/system/config')).json
    expect(config).toMatchObject({ token_id: panel.tokenId, token: panel.token, remote: panel.url, api: { port: wings.port } })
  })

  test('the update endpoint applies a patch and refuses paths the panel must strip', async () => {
    expect(await call('POST', '/api/update', { api: { upload_limit: 50 }, debug: true })).toMatchObject({
      status: 200,
      json: { applied: true },
    })
    expect((await call('GET', '/api/system/config')).json).toMatchObject({ debug: true, api: { upload_limit: 50 } })
    const refused = await call('POST', '/api/update', { token: 'x', system: { root_directory: '/' } })
    expect(refused.status).toBe(400)
    expect(wings.problems.some((p) => p.includes('token, system.root_directory'))).toBe(true)
    wings.config.ignore_panel_config_updates = true
    expect((await call('POST', '/api/update', { debug: false })).json).toEqual({ applied: false })
    wings.config.ignore_panel_config_updates = false
  })

  test("used ports list the servers' allocations of each asked IP", async () => {
    const uuid = await createServer()
    const used = (await call('GET', '/api/ports/used?ip=127.0.0.1&ip=10.0.0.1')).json.used
    expect(used['10.0.0.1']).toEqual([])
    expect(used['127.0.0.1']).toContainEqual({ port: 25565, server: uuid })
  })
})

describe('MessagePack (spec 04 §1.3)', () => {
  test('bodies are read and answers written as MessagePack when Accept asks for it', async () => {
    const uuid = randomUUID()
    panel.configs.set(uuid, remoteServer(uuid))
    const response = await fetch(`${wings.url}/api/servers`, {
      method: 'POST',
      headers: { authorization: `Bearer ${panel.token}`, 'content-type': 'application/msgpack', accept: 'application/msgpack' },
      body: pack({ uuid, start_on_completion: false, skip_scripts: true }),
    })
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('application/msgpack')
    expect(unpack(new Uint8Array(await response.arrayBuffer()))).toEqual({})
    const error = await fetch(`${wings.url}/api/servers/${uuid}/commands`, {
      method: 'POST',
      headers: { authorization: `Bearer ${panel.token}`, 'content-type': 'application/msgpack', accept: 'application/msgpack' },
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

test('no request made the double fail internally', () => {
  expect(wings.problems.filter((p) => p.startsWith('internal error') || p.startsWith('background task'))).toEqual([])
})

test('panelFetch routes the callbacks to an app that does not listen', async () => {
  const seen: string[] = []
  const uuid = randomUUID()
  const inProcess = await startWingsDouble({
    panelUrl: 'http://panel.invalid',
    tokenId: panel.tokenId,
    token: panel.token,
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
      headers: { authorization: `Bearer ${panel.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ uuid }),
    })
    expect(response.status).toBe(200)
    await inProcess.idle()
    expect(seen).toEqual([
      `GET /api/remote/servers/${uuid} Bearer ${panel.tokenId}.${panel.token}`,
      `GET /api/remote/servers/${uuid}/install Bearer ${panel.tokenId}.${panel.token}`,
      `POST /api/remote/servers/${uuid}/install Bearer ${panel.tokenId}.${panel.token}`,
    ])
  } finally {
    await inProcess.stop()
  }
})
