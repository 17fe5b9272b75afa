import { beforeAll, describe, expect, test } from 'bun:test'
import { and, eq } from 'drizzle-orm'
import { adminCallers, makeUser, SETUP_TIMEOUT, useTestApp } from 'hatchery/testing'
import { tables as eggConfigTables } from '../../egg-configurations'
import { tables as nestTables } from '../../nests'
import { serverActivities, servers, serverVariables } from '../tables'
import { makeEgg } from '../test-fixtures'
import { asNode, remoteNode, serverOn, type RemoteNode } from './test-kit'

const t = useTestApp()
const db = () => t.kernel.database.db
let node: RemoteNode
let other: RemoteNode
let refs: { owner: string; egg: string }
let custom: { owner: string; egg: string }
const schedule = crypto.randomUUID()
const JAVA = 'ghcr.io/pterodactyl/yolks:java_21'

const row = async (uuid: string) => (await db().select().from(servers).where(eq(servers.uuid, uuid)))[0]
const activity = (server: string) => db().select().from(serverActivities).where(eq(serverActivities.server_uuid, server))
const valueOf = async (server: string, variable: string) =>
  (
    await db()
      .select()
      .from(serverVariables)
      .where(and(eq(serverVariables.server_uuid, server), eq(serverVariables.variable_uuid, variable)))
  )[0]?.value

let variables: Record<string, string>

beforeAll(async () => {
  const { admin } = await adminCallers(t, [])
  node = await remoteNode(t, admin)
  other = await remoteNode(t, admin)
  const owner = (await makeUser(t)).uuid
  const egg = await makeEgg(t)
  refs = { owner, egg: egg.uuid }
  const v = nestTables.nestEggVariables
  const [players] = await db()
    .insert(v)
    .values({
      egg_uuid: egg.uuid,
      name: 'Players',
      env_variable: 'MAX_PLAYERS',
      user_viewable: true,
      user_editable: true,
      rules: ['integer', 'between:1,64'],
      order: 1,
    })
    .returning()
  const [locked] = await db()
    .insert(v)
    .values({ egg_uuid: egg.uuid, name: 'Secret', env_variable: 'SECRET', user_viewable: false, user_editable: false, order: 2 })
    .returning()
  variables = { SERVER_JARFILE: egg.variable, MAX_PLAYERS: players.uuid, SECRET: locked.uuid }
  const second = await makeEgg(t)
  custom = { owner, egg: second.uuid }
  const [config] = await db()
    .insert(eggConfigTables.eggConfigurations)
    .values({ name: 'custom startup', config_startup: { allow_custom_startup_command: true } })
    .returning()
  await db()
    .insert(eggConfigTables.eggConfigurationEggs)
    .values({ egg_configuration_uuid: config.uuid, egg_uuid: second.uuid, position: 0 })
}, SETUP_TIMEOUT)

describe('PUT /api/remote/servers/{server}/startup/variables', () => {
  test('stores the value (twice: an update) and logs server:startup.variables with the schedule', async () => {
    const server = await serverOn(t, node, refs)
    const put = (value: string) =>
      asNode(t, node, 'PUT', `/api/remote/servers/${server.uuid}/startup/variables`, {
        env_variable: 'MAX_PLAYERS',
        value,
        schedule_uuid: schedule,
      })
    expect(await put('20')).toMatchObject({ status: 200, body: {} })
    expect(await put('32')).toMatchObject({ status: 200, body: {} })
    expect(await valueOf(server.uuid, variables.MAX_PLAYERS)).toBe('32')
    const logged = await activity(server.uuid)
    expect(logged.map((a) => [a.event, a.schedule_uuid, a.user_uuid, a.ip, a.data])).toEqual([
      ['server:startup.variables', schedule, null, null, { variables: [{ env_variable: 'MAX_PLAYERS', value: '20' }] }],
      ['server:startup.variables', schedule, null, null, { variables: [{ env_variable: 'MAX_PLAYERS', value: '32' }] }],
    ])
  })

  test('404 unknown variable, 400 not editable, 400 a broken rule; nothing stored', async () => {
    const server = await serverOn(t, node, refs)
    const put = (env_variable: string, value: string) =>
      asNode(t, node, 'PUT', `/api/remote/servers/${server.uuid}/startup/variables`, { env_variable, value })
    expect(await put('NOPE', '1')).toMatchObject({ status: 404, body: { errors: ['variable not found'] } })
    expect(await put('SECRET', '1')).toMatchObject({ status: 400, body: { errors: ['variable is not editable'] } })
    const broken = await put('MAX_PLAYERS', '128')
    expect(broken.status).toBe(400)
    expect(broken.body.errors[0]).toStartWith('MAX_PLAYERS: ')
    expect(await valueOf(server.uuid, variables.MAX_PLAYERS)).toBeUndefined()
    expect(await activity(server.uuid)).toEqual([])
  })

  test('bad bodies are 400', async () => {
    const server = await serverOn(t, node, refs)
    for (const body of [
      { value: '1' },
      { env_variable: '', value: '1' },
      { env_variable: 'MAX_PLAYERS', value: 'x'.repeat(4097) },
      { env_variable: 'MAX_PLAYERS' },
    ]) {
      expect((await asNode(t, node, 'PUT', `/api/remote/servers/${server.uuid}/startup/variables`, body)).status).toBe(400)
    }
  })

  test("401 without a token; another node's server 404, untouched", async () => {
    const server = await serverOn(t, other, refs)
    const body = { env_variable: 'MAX_PLAYERS', value: '2' }
    expect((await asNode(t, null, 'PUT', `/api/remote/servers/${server.uuid}/startup/variables`, body)).status).toBe(401)
    expect((await asNode(t, node, 'PUT', `/api/remote/servers/${server.uuid}/startup/variables`, body)).status).toBe(404)
    expect(await valueOf(server.uuid, variables.MAX_PLAYERS)).toBeUndefined()
  })
})

describe('PUT /api/remote/servers/{server}/startup/command', () => {
  test("one of the egg's commands is taken and logged", async () => {
    const server = await serverOn(t, node, refs)
    const res = await asNode(t, node, 'PUT', `/api/remote/servers/${server.uuid}/startup/command`, { command: 'java -jar server.jar' })
    expect([res.status, res.body]).toEqual([200, {}])
    expect((await row(server.uuid)).startup).toBe('java -jar server.jar')
    expect((await activity(server.uuid)).map((a) => [a.event, a.data, a.schedule_uuid])).toEqual([
      ['server:startup.command', { command: 'java -jar server.jar' }, null],
    ])
  })

  test('a custom command is 417 unless the egg configuration allows it', async () => {
    const plain = await serverOn(t, node, refs)
    const refused = await asNode(t, node, 'PUT', `/api/remote/servers/${plain.uuid}/startup/command`, { command: './run.sh' })
    expect([refused.status, refused.body]).toEqual([417, { errors: ['custom startup commands are not enabled for this server'] }])
    expect((await row(plain.uuid)).startup).toBe(plain.startup)
    const allowed = await serverOn(t, node, custom)
    expect((await asNode(t, node, 'PUT', `/api/remote/servers/${allowed.uuid}/startup/command`, { command: './run.sh' })).status).toBe(200)
    expect((await row(allowed.uuid)).startup).toBe('./run.sh')
  })

  test('400 empty or too long; 401 without a token', async () => {
    const server = await serverOn(t, node, refs)
    for (const command of ['', 'x'.repeat(1025)]) {
      expect((await asNode(t, node, 'PUT', `/api/remote/servers/${server.uuid}/startup/command`, { command })).status).toBe(400)
    }
    expect(
      (await asNode(t, null, 'PUT', `/api/remote/servers/${server.uuid}/startup/command`, { command: 'java -jar server.jar' })).status,
    ).toBe(401)
    expect((await row(server.uuid)).startup).toBe(server.startup)
  })
})

describe('PUT /api/remote/servers/{server}/startup/docker-image', () => {
  test("one of the egg's images is taken and logged", async () => {
    const server = await serverOn(t, node, refs, { image: 'custom/image:1' })
    const res = await asNode(t, node, 'PUT', `/api/remote/servers/${server.uuid}/startup/docker-image`, {
      image: JAVA,
      schedule_uuid: schedule,
    })
    expect([res.status, res.body]).toEqual([200, {}])
    expect((await row(server.uuid)).image).toBe(JAVA)
    expect((await activity(server.uuid)).map((a) => [a.event, a.data, a.schedule_uuid])).toEqual([
      ['server:startup.docker-image', { image: JAVA }, schedule],
    ])
  })

  test('417 for an image the egg does not list; 417 over a custom image when the setting forbids it', async () => {
    const server = await serverOn(t, node, refs, { image: 'custom/image:1' })
    const path = `/api/remote/servers/${server.uuid}/startup/docker-image`
    expect(await asNode(t, node, 'PUT', path, { image: 'evil/miner' })).toMatchObject({
      status: 417,
      body: { errors: ['the specified docker image is not available'] },
    })
    await t.kernel.settings.update({ 'server.allow_overwriting_custom_docker_image': false })
    try {
      expect(await asNode(t, node, 'PUT', path, { image: JAVA })).toMatchObject({
        status: 417,
        body: { errors: ['overwriting custom docker images is not allowed'] },
      })
      expect((await row(server.uuid)).image).toBe('custom/image:1')
    } finally {
      await t.kernel.settings.update({ 'server.allow_overwriting_custom_docker_image': true })
    }
  })

  test('400 without an image; 401 without a token', async () => {
    const server = await serverOn(t, node, refs)
    expect((await asNode(t, node, 'PUT', `/api/remote/servers/${server.uuid}/startup/docker-image`, { image: '' })).status).toBe(400)
    expect((await asNode(t, null, 'PUT', `/api/remote/servers/${server.uuid}/startup/docker-image`, { image: JAVA })).status).toBe(401)
  })
})
