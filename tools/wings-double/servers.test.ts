import { describe, expect, test } from 'bun:test'
import { randomUUID } from 'node:crypto'
import { remoteServer } from './fake-panel'
import { useDouble } from './harness'

const kit = useDouble()
const { call, createServer } = kit

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
    expect(kit.wings.servers.get(uuid)?.state).toBe('running')
    expect((await call('POST', `/api/servers/${uuid}/commands`, { commands: ['say hi'] })).status).toBe(200)
    expect((await call('GET', `/api/servers/${uuid}/logs?lines=1`)).text).toBe('say hi\n')
    const usage = (await call('GET', '/api/servers/utilization')).json[uuid]
    expect(usage).toMatchObject({ state: 'running', memory_limit_bytes: 1024 * 1024 * 1024, cpu_limit_absolute: 100 })
    expect(Object.keys(usage.network)).toEqual(['rx_bytes', 'rx_packets', 'tx_bytes', 'tx_packets'])
    expect((await call('POST', `/api/servers/${uuid}/power`, { action: 'kill' })).status).toBe(202)
    expect(kit.wings.servers.get(uuid)?.state).toBe('offline')
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
    expect(kit.wings.servers.get(uuid)).toMatchObject({
      state: 'offline',
      config: { settings: { suspended: true, meta: { name: 'Renamed' } } },
    })
    kit.panel.configs.set(uuid, remoteServer(uuid, { meta: { name: 'Fetched', description: '' } }))
    expect((await call('POST', `/api/servers/${uuid}/sync`, undefined, { raw: '' })).status).toBe(200)
    expect(kit.wings.servers.get(uuid)?.config.settings.meta.name).toBe('Fetched')
    expect((await call('POST', `/api/servers/${uuid}/sync`, { server: { settings: {} } })).status).toBe(200)
    expect(kit.wings.problems.some((p) => p.includes(`${uuid}/sync`))).toBe(true)
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
    expect(kit.wings.servers.get(uuid)?.files.get('a.txt')).toBeUndefined()
    expect(await call('POST', `/api/servers/${uuid}/reinstall`, {})).toMatchObject({ status: 409, json: { error: 'server is locked' } })
    const report = await kit.panel.waitFor('POST', `/api/remote/servers/${uuid}/install`)
    expect(report.body).toEqual({ successful: true, reinstall: true })
    await kit.wings.idle()
    expect((await call('POST', `/api/servers/${uuid}/reinstall`, undefined, { raw: 'garbage' })).status).toBe(202)
    expect(await call('POST', `/api/servers/${uuid}/install/abort`)).toMatchObject({ status: 202 })
    await kit.wings.idle()
    expect(kit.wings.servers.get(uuid)?.installing).toBe(false)
  })

  test('ws/permissions and ws/deny answer 200 and validate their bodies', async () => {
    const uuid = await createServer()
    const user = randomUUID()
    const body = { user_permissions: [{ user, permissions: ['control.console'], ignored_files: [] }] }
    expect(await call('POST', `/api/servers/${uuid}/ws/permissions`, body)).toMatchObject({ status: 200, json: {} })
    expect(kit.wings.servers.get(uuid)?.permissions.get(user)?.permissions).toEqual(['control.console'])
    expect((await call('POST', `/api/servers/${uuid}/ws/permissions`, { user_permissions: [{ user: 'x' }] })).status).toBe(400)
    expect(await call('POST', `/api/servers/${uuid}/ws/deny`, { jtis: [user] })).toMatchObject({ status: 200, json: {} })
    expect((await call('POST', `/api/servers/${uuid}/ws/deny`, { jtis: 'all' })).status).toBe(400)
  })

  test('DELETE removes the server; a second delete is 404', async () => {
    const uuid = await createServer()
    expect(await call('DELETE', `/api/servers/${uuid}`)).toMatchObject({ status: 200, json: {} })
    expect(kit.wings.servers.has(uuid)).toBe(false)
    expect(await call('DELETE', `/api/servers/${uuid}`)).toMatchObject({ status: 404, json: { error: 'server not found' } })
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
    const report = await kit.panel.waitFor('POST', `/api/remote/backups/${backup}`)
    expect(report.body).toMatchObject({
      checksum_type: 'sha1',
      files: 1,
      successful: true,
      browsable: false,
      streaming: false,
      parts: [],
    })
    expect((report.body as any).checksum).toMatch(/^[0-9a-f]{40}$/)
    // The size is the tar.gz's, which holds a.txt.
    const files = await new Bun.Archive(kit.wings.backups.get(backup)!.archive!).files()
    expect([(report.body as any).size, await files.get('a.txt')?.text()]).toEqual([kit.wings.backups.get(backup)!.size, 'abc'])
    expect((await call('POST', `/api/servers/${uuid}/backup`, { adapter: 'local', uuid: randomUUID(), ignore: '' })).status).toBe(400)

    expect((await call('DELETE', `/api/backups/${backup}`, { server: uuid })).status).toBe(400)
    expect(await call('DELETE', `/api/backups/${backup}`, { adapter: 'wings', foreground: false, server: uuid })).toMatchObject({
      status: 202,
    })
    expect((await kit.panel.waitFor('POST', `/api/remote/backups/${backup}/deletion`)).body).toEqual({ successful: true })
    await kit.wings.idle()
    expect(kit.wings.backups.has(backup)).toBe(false)
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
    await kit.panel.waitFor('POST', `/api/remote/backups/${backup}`)
    const restore = `/api/servers/${uuid}/backup/${backup}/restore`
    expect(await call('POST', restore, { adapter: 'wings', truncate_directory: false, download_url: null })).toMatchObject({
      status: 202,
      json: {},
    })
    expect((await kit.panel.waitFor('POST', `/api/remote/backups/${backup}/restore`)).body).toEqual({ server_uuid: uuid, successful: true })
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

describe('boot', () => {
  test('resets, then reads every page of the panel’s servers: known ones get the new document, others are added', async () => {
    const known = await createServer()
    const added = randomUUID()
    kit.panel.configs.set(known, remoteServer(known, { suspended: true }))
    kit.panel.configs.set(added, remoteServer(added))
    await kit.wings.idle() // an earlier test's schedule run reports to the panel in the background
    const before = kit.wings.callbacks.length
    const read = await kit.wings.boot(1)
    expect(read).toBe(kit.panel.configs.size)
    const calls = kit.wings.callbacks.slice(before).map((c) => `${c.method} ${c.path}`)
    expect(calls[0]).toBe('POST /api/remote/servers/reset')
    expect(calls.slice(1)).toEqual([...kit.panel.configs.keys()].map((_, i) => `GET /api/remote/servers?page=${i + 1}&per_page=1`))
    expect(kit.wings.servers.get(known)?.config.settings.suspended).toBe(true)
    expect(kit.wings.servers.get(added)?.state).toBe('offline')
  })

  test('a page that is not §3.2 is a problem and fails the boot', async () => {
    const bad = randomUUID()
    kit.panel.configs.set(bad, { settings: { uuid: bad } })
    try {
      await expect(kit.wings.boot()).rejects.toThrow('could not read the servers from the panel')
      expect(kit.wings.problems.at(-1)).toStartWith('GET /api/remote/servers?page=1&per_page=50: ')
    } finally {
      kit.panel.configs.delete(bad)
    }
  })
})
