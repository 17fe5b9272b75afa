import { beforeAll, describe, expect, test } from 'bun:test'
import { eq } from 'drizzle-orm'
import { SETUP_TIMEOUT, useTestApp } from 'hatchery/testing'
import { tables as eggConfigTables } from '../../egg-configurations'
import { tables as nestTables } from '../../nests'
import { servers } from '../tables'
import { makeEgg } from '../test-fixtures'
import { clientKit } from './test-kit'

const t = useTestApp()
const k = clientKit(t)
let customEgg: string

beforeAll(async () => {
  const v = nestTables.nestEggVariables
  await k
    .db()
    .insert(v)
    .values([
      {
        egg_uuid: k.egg.uuid,
        name: 'Players',
        env_variable: 'MAX_PLAYERS',
        default_value: '20',
        user_viewable: true,
        user_editable: true,
        rules: ['integer', 'between:1,64'],
        order: 1,
      },
      {
        egg_uuid: k.egg.uuid,
        name: 'Seed',
        env_variable: 'SEED',
        default_value: 'abc',
        user_viewable: true,
        user_editable: false,
        order: 2,
      },
      { egg_uuid: k.egg.uuid, name: 'Token', env_variable: 'TOKEN', user_viewable: false, user_editable: false, order: 3 },
    ])
  customEgg = (await makeEgg(t)).uuid
  const [config] = await k
    .db()
    .insert(eggConfigTables.eggConfigurations)
    .values({ name: `custom ${Math.random()}`, config_startup: { allow_custom_startup_command: true } })
    .returning()
  await k
    .db()
    .insert(eggConfigTables.eggConfigurationEggs)
    .values({ egg_configuration_uuid: config.uuid, egg_uuid: customEgg, position: 0 })
}, SETUP_TIMEOUT)

type Who = { cookie?: string; token?: string }
const call = (method: string, uuid: string, rest: string, who: Who, body?: unknown) =>
  t.request(method, `/api/client/servers/${uuid}/startup/${rest}`, { ...who, body })
const synced = async (uuid: string, after: number) => {
  const done = () => k.at.wings.requests.slice(after).some((r) => r.method === 'POST' && r.path === `/api/servers/${uuid}/sync`)
  for (let i = 0; i < 50 && !done(); i++) await Bun.sleep(20)
  return done()
}

describe('client server startup (spec 03 §3.3)', () => {
  test('GET variables: the viewable ones in order with value, else default', async () => {
    const uuid = await k.server()
    const res = await call('GET', uuid, 'variables', { cookie: k.owner.cookie })
    expect(res.status).toBe(200)
    expect(
      res.body.variables.map((x: { env_variable: string; value: string; is_editable: boolean }) => [
        x.env_variable,
        x.value,
        x.is_editable,
      ]),
    ).toEqual([
      ['SERVER_JARFILE', '', true],
      ['MAX_PLAYERS', '20', true],
      ['SEED', 'abc', false],
    ])
  })

  test('PUT variables: editable values stored after the rules; others ignored; duplicates and broken rules 400; logged and synced', async () => {
    const uuid = await k.server()
    const before = k.at.wings.requests.length
    const sent = [
      { env_variable: 'MAX_PLAYERS', value: '32' },
      { env_variable: 'SEED', value: 'zzz' },
      { env_variable: 'NOPE', value: 'x' },
    ]
    const res = await call('PUT', uuid, 'variables', { cookie: k.owner.cookie }, { variables: sent })
    expect([res.status, res.body]).toEqual([200, {}])
    const values = async () =>
      Object.fromEntries(
        (await call('GET', uuid, 'variables', { cookie: k.owner.cookie })).body.variables.map(
          (x: { env_variable: string; value: string }) => [x.env_variable, x.value],
        ),
      )
    expect(await values()).toEqual({ SERVER_JARFILE: '', MAX_PLAYERS: '32', SEED: 'abc' })
    expect(await k.events(uuid)).toContainEqual(['server:startup.variables', { variables: sent }])
    expect(await synced(uuid, before)).toBe(true)
    const bad = await call(
      'PUT',
      uuid,
      'variables',
      { cookie: k.owner.cookie },
      { variables: [{ env_variable: 'MAX_PLAYERS', value: '99' }] },
    )
    expect(bad.status).toBe(400)
    expect(bad.body.errors[0]).toStartWith('MAX_PLAYERS: ')
    const dup = await call(
      'PUT',
      uuid,
      'variables',
      { cookie: k.owner.cookie },
      {
        variables: [
          { env_variable: 'MAX_PLAYERS', value: '2' },
          { env_variable: 'MAX_PLAYERS', value: '3' },
        ],
      },
    )
    expect([dup.status, dup.body.errors]).toEqual([400, ['variables: duplicate environment variable: MAX_PLAYERS']])
    expect((await call('PUT', uuid, 'variables', { cookie: k.owner.cookie }, { variables: 'x' })).status).toBe(400)
    expect((await values()).MAX_PLAYERS).toBe('32')
  })

  test("PUT command: one of the egg's, else 417 unless the egg configuration allows custom commands", async () => {
    const uuid = await k.server()
    const before = k.at.wings.requests.length
    const res = await call('PUT', uuid, 'command', { cookie: k.owner.cookie }, { command: 'java -jar server.jar' })
    expect([res.status, res.body]).toEqual([200, {}])
    expect((await k.row(uuid)).startup).toBe('java -jar server.jar')
    expect(await k.events(uuid)).toContainEqual(['server:startup.command', { command: 'java -jar server.jar' }])
    expect(await synced(uuid, before)).toBe(true)
    const refused = await call('PUT', uuid, 'command', { cookie: k.owner.cookie }, { command: 'rm -rf /' })
    expect([refused.status, refused.body.errors]).toEqual([417, ['custom startup commands are not enabled for this server']])
    expect((await call('PUT', uuid, 'command', { cookie: k.owner.cookie }, { command: '' })).status).toBe(400)
    const custom = await k.server({}, customEgg)
    expect((await call('PUT', custom, 'command', { cookie: k.owner.cookie }, { command: './start.sh' })).status).toBe(200)
    expect((await k.row(custom)).startup).toBe('./start.sh')
  })

  test("PUT docker-image: one of the egg's (417 else); over a custom image only while the setting allows", async () => {
    const uuid = await k.server()
    const image = 'ghcr.io/pterodactyl/yolks:java_21'
    await k.db().update(servers).set({ image: 'custom:latest' }).where(eq(servers.uuid, uuid))
    const missing = await call('PUT', uuid, 'docker-image', { cookie: k.owner.cookie }, { image: 'evil:latest' })
    expect([missing.status, missing.body.errors]).toEqual([417, ['the specified docker image is not available']])
    await t.kernel.settings.update({ 'server.allow_overwriting_custom_docker_image': false })
    try {
      const refused = await call('PUT', uuid, 'docker-image', { cookie: k.owner.cookie }, { image })
      expect([refused.status, refused.body.errors]).toEqual([417, ['overwriting custom docker images is not allowed']])
    } finally {
      await t.kernel.settings.update({ 'server.allow_overwriting_custom_docker_image': true })
    }
    const res = await call('PUT', uuid, 'docker-image', { cookie: k.owner.cookie }, { image })
    expect([res.status, res.body]).toEqual([200, {}])
    expect((await k.row(uuid)).image).toBe(image)
    expect(await k.events(uuid)).toContainEqual(['server:startup.docker-image', { image }])
    expect((await call('PUT', uuid, 'docker-image', { cookie: k.owner.cookie }, {})).status).toBe(400)
  })

  test('401 without a session, 404 for a stranger, 403 for an API key without the permission', async () => {
    const uuid = await k.server()
    const cases: [string, string, unknown, string][] = [
      ['GET', 'variables', undefined, 'startup.read'],
      ['PUT', 'variables', { variables: [] }, 'startup.update'],
      ['PUT', 'command', { command: 'java -jar server.jar' }, 'startup.command'],
      ['PUT', 'docker-image', { image: 'ghcr.io/pterodactyl/yolks:java_21' }, 'startup.docker-image'],
    ]
    await k.expectGuarded(
      uuid,
      cases.map(([m, rest, body, p]) => [m, `/startup/${rest}`, body, p]),
    )
  })
})
