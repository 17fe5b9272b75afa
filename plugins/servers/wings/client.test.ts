import { describe, expect, test } from 'bun:test'
import { Value } from '@sinclair/typebox/value'
import { randomUUID } from 'node:crypto'
import { remoteServer } from '../../../tools/wings-double/fake-panel'
import { useDouble } from '../../../tools/wings-double/harness'
import { WingsClient } from './client'
import { SystemLogs, SystemOverview, SystemStats } from './model'
import { endpoint } from './transport'

const kit = useDouble({ installDelayMs: 5 })

const client = (token = kit.panel.token, options = {}) =>
  new WingsClient({ uuid: randomUUID(), name: 'alpha', url: `${kit.wings.url}/`, public_url: null, token }, options)

/** What the double says the panel sent last to `METHOD path`. */
const lastRequest = (method: string, path: string) => kit.wings.requests.findLast((r) => r.method === method && r.path === path)!

/** A server known to the fake panel (its §3.3 document) and created on the double through the client. */
async function created(wings = client(), skip_scripts = true) {
  const uuid = randomUUID()
  kit.panel.configs.set(uuid, remoteServer(uuid))
  await wings.createServer({ uuid, start_on_completion: false, skip_scripts })
  return uuid
}

async function refusal(promise: Promise<unknown>) {
  const error = await promise.then(
    () => null,
    (e) => e,
  )
  expect(error).not.toBeNull()
  return { status: error.status as number, messages: error.messages as string[] }
}

describe('addressing and encoding (spec 04 §1.1–§1.3)', () => {
  test('one `/` between the base (path prefix kept) and the endpoint; repeated query keys', () => {
    expect(endpoint('https://n.example.com:8080/', '/api/system').href).toBe('https://n.example.com:8080/api/system')
    expect(endpoint('https://n.example.com/wings//', '/api/system').href).toBe('https://n.example.com/wings/api/system')
    expect(endpoint('http://n', '/api/ports/used', { ip: ['10.0.0.1', '::1'], skip: undefined }).search).toBe('?ip=10.0.0.1&ip=%3A%3A1')
  })

  test('Bearer <token>, JSON bodies, JSON preferred over MessagePack', async () => {
    await client().updateConfig({ throttles: { lines: 3000 } })
    const sent = lastRequest('POST', '/api/update')
    expect(sent.headers.authorization).toBe(`Bearer ${kit.panel.token}`)
    expect(sent.headers['content-type']).toBe('application/json')
    expect(sent.headers.accept).toBe('application/json, application/msgpack;q=0.9')
    expect(sent.body).toEqual({ throttles: { lines: 3000 } })
  })

  test('a MessagePack answer is read like JSON', async () => {
    const msgpackOnly: typeof fetch = ((url: URL, init: RequestInit) =>
      fetch(url, { ...init, headers: { ...(init.headers as Record<string, string>), accept: 'application/msgpack' } })) as typeof fetch
    const overview = await client(undefined, { fetch: msgpackOnly }).systemOverview()
    expect(kit.wings.requests.at(-1)?.headers.accept).toBe('application/msgpack')
    expect(Value.Check(SystemOverview, overview)).toBe(true)
  })
})

describe('system endpoints', () => {
  test('info, overview, stats, logs and one log file', async () => {
    const wings = client()
    expect(await wings.systemInfo()).toMatchObject({ os: 'linux', version: '1.0.0-double' })
    expect(Value.Check(SystemOverview, await wings.systemOverview())).toBe(true)
    expect(Value.Check(SystemStats, await wings.systemStats())).toBe(true)
    const logs = await wings.systemLogs()
    expect(Value.Check(SystemLogs, logs)).toBe(true)
    expect(await wings.systemLog(logs.log_files[0].name, 1)).toBe('INFO listening for HTTP requests\n')
    expect(lastRequest('GET', '/api/system/logs/wings.log').query).toBe('?lines=1')
    expect(await refusal(wings.systemLog('nope.log', 5))).toEqual({ status: 404, messages: ['file not found'] })
  })

  test('config read and patched; ports in use; utilization; node-wide power', async () => {
    const wings = client()
    expect(await wings.config()).toMatchObject({ token_id: kit.panel.tokenId, api: { port: kit.wings.port } })
    expect(await wings.updateConfig({ api: { upload_limit: 250 } })).toEqual({ applied: true })
    expect((await wings.config()).api).toMatchObject({ upload_limit: 250 })
    const uuid = await created(wings)
    expect((await wings.portsUsed(['127.0.0.1'])).used['127.0.0.1']).toContainEqual({ port: 25565, server: uuid })
    expect(await wings.powerMany({ type: 'uuids', uuids: [uuid] }, 'start')).toEqual({ affected: 1 })
    expect((await wings.utilization())[uuid]).toMatchObject({ state: 'running' })
  })
})

describe('server lifecycle', () => {
  test('create (Wings fetched the document), sync, power, logs, delete', async () => {
    const wings = client()
    const uuid = await created(wings)
    expect(kit.wings.servers.get(uuid)?.config.settings.meta.name).toBe('Paper')
    const document = remoteServer(uuid, { meta: { name: 'Renamed', description: '' } })
    await wings.syncServer(uuid, document)
    expect(lastRequest('POST', `/api/servers/${uuid}/sync`).body).toEqual({ server: document })
    expect(kit.wings.servers.get(uuid)?.config.settings.meta.name).toBe('Renamed')
    await wings.power(uuid, 'start')
    expect(lastRequest('POST', `/api/servers/${uuid}/power`).body).toEqual({ action: 'start', wait_seconds: null })
    expect(kit.wings.servers.get(uuid)?.state).toBe('running')
    expect(typeof (await wings.serverLogs(uuid, 10))).toBe('string')
    await wings.deleteServer(uuid)
    expect(kit.wings.servers.has(uuid)).toBe(false)
  })

  test("Wings' 404 and 409 reach the caller with Wings' message", async () => {
    const wings = client()
    const uuid = await created(wings)
    expect(await refusal(wings.createServer({ uuid, start_on_completion: false, skip_scripts: true }))).toEqual({
      status: 409,
      messages: ['server with this uuid already exists'],
    })
    expect(await refusal(wings.abortInstall(uuid))).toEqual({ status: 409, messages: ['server is not installing'] })
    expect(await refusal(wings.installLogs(randomUUID(), 10))).toEqual({ status: 404, messages: ['server not found'] })
    await wings.deleteServer(uuid)
    expect(await refusal(wings.deleteServer(uuid))).toEqual({ status: 404, messages: ['server not found'] })
  })

  test('reinstall runs the install (a second one while installing is 409 `server is locked`)', async () => {
    const wings = client()
    const uuid = await created(wings)
    const script = { container_image: 'ghcr.io/pterodactyl/installers:debian', entrypoint: 'bash', script: 'echo hi', environment: {} }
    await wings.reinstallServer(uuid, { truncate_directory: false, installation_script: script })
    expect(await refusal(wings.reinstallServer(uuid, { truncate_directory: false, installation_script: script }))).toEqual({
      status: 409,
      messages: ['server is locked'],
    })
    await kit.wings.idle()
    expect(typeof (await wings.installLogs(uuid, 100))).toBe('string')
  })
})
