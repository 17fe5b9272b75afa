import { describe, expect, test } from 'bun:test'
import { useTestApp } from 'hatchery/testing'
import { clientKit } from './test-kit'

const t = useTestApp()
const k = clientKit(t)
const { row, events } = k
const server = () => k.server()

type Who = { cookie?: string; token?: string }
const call = (method: string, uuid: string, rest: string, who: Who, body?: unknown) =>
  t.request(method, `/api/client/servers/${uuid}/settings/${rest}`, { ...who, body })

describe('client server settings (spec 03 §3.4)', () => {
  test('rename: name and description change; description is required, null clears it; logged', async () => {
    const uuid = await server()
    const res = await call('POST', uuid, 'rename', { cookie: k.owner.cookie }, { name: 'Renamed', description: 'hello' })
    expect([res.status, res.body]).toEqual([200, {}])
    expect(await row(uuid)).toMatchObject({ name: 'Renamed', description: 'hello' })
    expect(await events(uuid)).toContainEqual(['server:settings.rename', { name: 'Renamed', description: 'hello' }])
    expect((await call('POST', uuid, 'rename', { cookie: k.owner.cookie }, { name: 'Other' })).status).toBe(400)
    expect((await call('POST', uuid, 'rename', { cookie: k.owner.cookie }, { name: '', description: null })).status).toBe(400)
    expect((await call('POST', uuid, 'rename', { cookie: k.owner.cookie }, { description: null })).status).toBe(200)
    expect(await row(uuid)).toMatchObject({ name: 'Renamed', description: null })
  })

  test('timezone: an IANA zone is stored, null clears, an unknown zone is 400', async () => {
    const uuid = await server()
    const res = await call('PUT', uuid, 'timezone', { cookie: k.owner.cookie }, { timezone: 'Europe/Berlin' })
    expect([res.status, res.body]).toEqual([200, {}])
    expect((await row(uuid)).timezone).toBe('Europe/Berlin')
    expect(await events(uuid)).toContainEqual(['server:settings.timezone', { timezone: 'Europe/Berlin' }])
    const bad = await call('PUT', uuid, 'timezone', { cookie: k.owner.cookie }, { timezone: 'Mars/Olympus' })
    expect(bad.status).toBe(400)
    expect((await row(uuid)).timezone).toBe('Europe/Berlin')
    expect((await call('PUT', uuid, 'timezone', { cookie: k.owner.cookie }, {})).status).toBe(200)
    expect((await row(uuid)).timezone).toBeNull()
  })

  test('auto-kill: enabled and seconds; absent seconds keeps them; out of range 400; pushed to Wings', async () => {
    const uuid = await server()
    const res = await call('PUT', uuid, 'auto-kill', { cookie: k.owner.cookie }, { enabled: true, seconds: 90 })
    expect([res.status, res.body]).toEqual([200, {}])
    expect((await row(uuid)).auto_kill).toEqual({ enabled: true, seconds: 90 })
    await call('PUT', uuid, 'auto-kill', { cookie: k.owner.cookie }, { enabled: false })
    expect((await row(uuid)).auto_kill).toEqual({ enabled: false, seconds: 90 })
    expect(await events(uuid)).toContainEqual(['server:settings.auto-kill', { enabled: true, seconds: 90 }])
    expect((await call('PUT', uuid, 'auto-kill', { cookie: k.owner.cookie }, { enabled: true, seconds: 0 })).status).toBe(400)
    expect((await call('PUT', uuid, 'auto-kill', { cookie: k.owner.cookie }, { enabled: true, seconds: 3601 })).status).toBe(400)
    for (let i = 0; i < 50 && !k.at.wings.requests.some((r) => r.method === 'POST' && r.path === `/api/servers/${uuid}/sync`); i++)
      await Bun.sleep(20)
    expect(k.at.wings.requests.some((r) => r.method === 'POST' && r.path === `/api/servers/${uuid}/sync`)).toBe(true)
  })

  test('auto-start: one of always, unless_stopped, never', async () => {
    const uuid = await server()
    const res = await call('PUT', uuid, 'auto-start', { cookie: k.owner.cookie }, { behavior: 'never' })
    expect([res.status, res.body]).toEqual([200, {}])
    expect((await row(uuid)).auto_start_behavior).toBe('never')
    expect(await events(uuid)).toContainEqual(['server:settings.auto-start', { auto_start_behavior: 'never' }])
    expect((await call('PUT', uuid, 'auto-start', { cookie: k.owner.cookie }, { behavior: 'sometimes' })).status).toBe(400)
  })

  test('401 without a session, 404 for a stranger, 403 for an API key without the permission', async () => {
    const uuid = await server()
    const cases: [string, string, unknown, string][] = [
      ['POST', 'rename', { description: null }, 'settings.rename'],
      ['PUT', 'timezone', { timezone: 'UTC' }, 'settings.timezone'],
      ['PUT', 'auto-kill', { enabled: true }, 'settings.auto-kill'],
      ['PUT', 'auto-start', { behavior: 'always' }, 'settings.auto-start'],
    ]
    await k.expectGuarded(
      uuid,
      cases.map(([m, rest, body, p]) => [m, `/settings/${rest}`, body, p]),
      'settings.install',
    )
    expect((await row(uuid)).auto_start_behavior).toBe('unless_stopped')
  })
})
