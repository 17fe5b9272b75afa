import { afterAll, afterEach, beforeAll, describe, expect, test } from 'bun:test'
import { randomUUID } from 'node:crypto'
import { remoteServer, startFakePanel, type FakePanel } from './fake-panel'
import { parseFault, startWingsDouble, type WingsDouble } from './index'

let panel: FakePanel
let wings: WingsDouble

beforeAll(async () => {
  panel = startFakePanel()
  wings = await startWingsDouble({ panelUrl: panel.url, tokenId: panel.tokenId, token: panel.token, installDelayMs: 5, callbackDelayMs: 5 })
})
afterEach(() => wings.heal())
afterAll(async () => {
  await wings.stop()
  await panel.stop()
})

const get = (path: string) => fetch(wings.url + path, { headers: { authorization: `Bearer ${panel.token}` } })
const post = (path: string, body: unknown) =>
  fetch(wings.url + path, {
    method: 'POST',
    headers: { authorization: `Bearer ${panel.token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })

describe('injected failures', () => {
  test('down: connections are refused until the fault is cleared', async () => {
    const restore = wings.fail({ kind: 'down' })
    await expect(get('/api/system/overview')).rejects.toThrow()
    restore()
    expect((await get('/api/system/overview')).status).toBe(200)
    const stale = wings.fail({ kind: 'down' })
    wings.heal()
    expect((await get('/api/system/overview')).status).toBe(200)
    // A remover called after heal() does not upset a later down.
    stale()
    restore()
    const again = wings.fail({ kind: 'down' })
    await expect(get('/api/system/overview')).rejects.toThrow()
    again()
    expect((await get('/api/system/overview')).status).toBe(200)
  })

  test('slow: only the matching route waits, and a client deadline cuts it short', async () => {
    wings.fail({ kind: 'slow', ms: 150, route: 'GET /api/system/*' })
    const started = performance.now()
    expect((await get('/api/system/overview')).status).toBe(200)
    expect(performance.now() - started).toBeGreaterThanOrEqual(140)
    expect(wings.requests.at(-1)).toMatchObject({ path: '/api/system/overview', delayedMs: 150 })
    await get('/api/servers/utilization')
    expect(wings.requests.at(-1)?.delayedMs).toBeUndefined()
    await expect(fetch(wings.url + '/api/system/stats', { signal: AbortSignal.timeout(30) })).rejects.toThrow()
  })

  test('html, truncated JSON and 500, each on its route, with times', async () => {
    wings.fail({ kind: 'html', route: '/api/system/overview' })
    wings.fail({ kind: 'truncated', route: /^GET \/api\/system\/stats$/ })
    wings.fail({ kind: 'status', route: 'GET /api/servers/**', times: 1 })
    const html = await get('/api/system/overview')
    expect(html.status).toBe(200)
    expect(html.headers.get('content-type')).toBe('text/html')
    const truncated = await get('/api/system/stats')
    expect(truncated.headers.get('content-type')).toBe('application/json')
    await expect(truncated.json()).rejects.toThrow()
    const failed = await get('/api/servers/utilization')
    expect(failed.status).toBe(500)
    expect(await failed.json()).toEqual({ error: 'internal server error' })
    expect((await get('/api/servers/utilization')).status).toBe(200)
    expect(wings.requests.filter((r) => r.fault).map((r) => r.fault)).toEqual(['html', 'truncated', 'status'])
  })

  test('a fault can be removed on its own', async () => {
    const remove = wings.fail({ kind: 'status', status: 503 })
    expect((await get('/api/system')).status).toBe(503)
    remove()
    expect((await get('/api/system')).status).toBe(200)
  })

  test('install-fails reports successful:false', async () => {
    wings.fail({ kind: 'install-fails' })
    const uuid = randomUUID()
    panel.configs.set(uuid, remoteServer(uuid))
    expect((await post('/api/servers', { uuid })).status).toBe(200)
    expect((await panel.waitFor('POST', `/api/remote/servers/${uuid}/install`)).body).toEqual({ successful: false, reinstall: false })
  })

  test('backup-fails and backup-deletion-fails report successful:false', async () => {
    const uuid = randomUUID()
    panel.configs.set(uuid, remoteServer(uuid))
    await post('/api/servers', { uuid, skip_scripts: true })
    wings.fail({ kind: 'backup-fails' })
    const failed = randomUUID()
    await post(`/api/servers/${uuid}/backup`, { adapter: 'wings', uuid: failed, ignore: '' })
    expect((await panel.waitFor('POST', `/api/remote/backups/${failed}`)).body).toMatchObject({ successful: false })
    await wings.idle()
    expect(wings.backups.has(failed)).toBe(false)
    wings.heal()
    const kept = randomUUID()
    await post(`/api/servers/${uuid}/backup`, { adapter: 'wings', uuid: kept, ignore: '' })
    await panel.waitFor('POST', `/api/remote/backups/${kept}`)
    wings.fail({ kind: 'backup-deletion-fails' })
    const deleted = await fetch(`${wings.url}/api/backups/${kept}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${panel.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ adapter: 'wings', foreground: false, server: uuid }),
    })
    expect(deleted.status).toBe(202)
    expect((await panel.waitFor('POST', `/api/remote/backups/${kept}/deletion`)).body).toEqual({ successful: false })
    await wings.idle()
    expect(wings.backups.has(kept)).toBe(true)
  })
})

describe('parseFault (the CLI form)', () => {
  test('parses each kind with its argument and route', () => {
    expect(parseFault('down')).toEqual({ kind: 'down' })
    expect(parseFault('slow=20000@POST /api/servers')).toEqual({ kind: 'slow', ms: 20000, route: 'POST /api/servers' })
    expect(parseFault('status')).toEqual({ kind: 'status', status: 500, route: undefined })
    expect(parseFault('html@/api/system/**')).toEqual({ kind: 'html', route: '/api/system/**' })
    expect(() => parseFault('slow')).toThrow('whole number')
    expect(() => parseFault('explode')).toThrow('unknown fault')
  })
})
