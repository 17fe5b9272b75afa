import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { Value } from '@sinclair/typebox/value'
import { eq } from 'drizzle-orm'
import { adminCallers, makeUser, SETUP_TIMEOUT, useTestApp, type AdminCaller } from 'hatchery/testing'
import { tables as allocationTables } from '../allocations'
import { tables as nestTables } from '../nests'
import { getNode } from '../nodes'
import { serverDocument } from './service/configuration'
import { serverAllocations, servers, serverVariables } from './tables'
import { insertServer, makeEgg, nodeOnDouble, serversApi, type DoubleNode } from './test-fixtures'
import { RemoteServer } from './wings/document-model'

const t = useTestApp()
const db = () => t.kernel.database.db
let admin: AdminCaller
let at: DoubleNode
let egg: { uuid: string; nest: string; variable: string }
let owner: string

beforeAll(async () => {
  ;({ admin } = await adminCallers(t, []))
  // The double fetches documents from /api/remote, which the panel does not serve yet: give it the one built here.
  at = await nodeOnDouble(t, admin, async (request) => {
    const uuid = /^\/api\/remote\/servers\/([^/]+)$/.exec(new URL(request.url).pathname)?.[1]
    if (!uuid) return t.handle(request)
    const [row] = await db().select().from(servers).where(eq(servers.uuid, uuid))
    return Response.json(await serversApi(t).document(db(), row))
  })
  egg = await makeEgg(t)
  owner = (await makeUser(t)).uuid
  await db().insert(nestTables.nestEggVariables).values({
    egg_uuid: egg.uuid,
    name: 'Version',
    env_variable: 'MC_VERSION',
    default_value: 'latest',
    user_viewable: true,
    user_editable: true,
    order: 1,
  })
  await db()
    .insert(nestTables.nestEggVariables)
    .values({ egg_uuid: egg.uuid, name: 'Empty', env_variable: 'EMPTY', user_viewable: false, user_editable: false, order: 2 })
  await t.request('POST', `/api/admin/nodes/${at.node.uuid}/allocations`, {
    cookie: admin.cookie,
    body: { ip: '10.2.0.1', ip_alias: null, ports: [25566, 25565] },
  })
  await t.request('POST', `/api/admin/nodes/${at.node.uuid}/allocations`, {
    cookie: admin.cookie,
    body: { ip: '10.2.0.2', ip_alias: null, ports: [19132] },
  })
}, SETUP_TIMEOUT)
afterAll(() => at?.wings.stop())

describe('the configuration document (spec 04 §3.3)', () => {
  test('every key, from the server, its egg, its variables and its allocations', async () => {
    const row = await insertServer(
      t,
      { node: at.node.uuid, owner, egg: egg.uuid },
      { pinned_cpus: [0, 2, 3], io_weight: 500, description: null },
    )
    await db().insert(serverVariables).values({ server_uuid: row.uuid, variable_uuid: egg.variable, value: 'paper.jar' })
    const pool = await db()
      .select()
      .from(allocationTables.nodeAllocations)
      .where(eq(allocationTables.nodeAllocations.node_uuid, at.node.uuid))
    const claims = await db()
      .insert(serverAllocations)
      .values(pool.map((a) => ({ server_uuid: row.uuid, allocation_uuid: a.uuid })))
      .returning()
    const main = claims[pool.findIndex((a) => a.port === 25565)]
    await db().update(servers).set({ allocation_uuid: main.uuid }).where(eq(servers.uuid, row.uuid))
    const [server] = await db().select().from(servers).where(eq(servers.uuid, row.uuid))

    const document = await serverDocument(db(), server)
    expect(Value.Check(RemoteServer, document)).toBe(true)
    expect(document.settings).toMatchObject({
      uuid: row.uuid,
      start_on_completion: null,
      meta: { name: 'survival', description: '' },
      invocation: 'java -jar {{SERVER_JARFILE}}',
      environment: { SERVER_JARFILE: 'paper.jar', MC_VERSION: 'latest', EMPTY: '' },
      allocations: {
        force_outgoing_ip: false,
        default: { ip: '10.2.0.1', port: 25565 },
        mappings: { '10.2.0.1': [25565, 25566], '10.2.0.2': [19132] },
      },
      build: {
        memory_limit: 1024,
        overhead_memory: 0,
        swap: 0,
        io_weight: 500,
        cpu_limit: 100,
        disk_space: 4096,
        threads: '0,2,3',
        oom_disabled: false,
      },
      egg: { id: egg.uuid, file_denylist: [] },
      container: { image: 'ghcr.io/pterodactyl/yolks:java_21', timezone: null, seccomp: { remove_allowed: [] } },
      backups: [],
      schedules: [],
      mounts: [],
    })
    expect(document.process_configuration).toEqual({
      startup: { done: ['Done'], strip_ansi: false },
      stop: { type: 'command', value: 'stop' },
      configs: [],
    })
  })

  test('Wings (the double) accepts it on create and on sync', async () => {
    const row = await insertServer(t, { node: at.node.uuid, owner, egg: egg.uuid }, { name: 'synced' })
    const wings = serversApi(t).wings(await getNode(db(), at.node.uuid))
    await wings.createServer({ uuid: row.uuid, start_on_completion: false, skip_scripts: true })
    await db().update(servers).set({ suspended: true }).where(eq(servers.uuid, row.uuid))
    const [suspended] = await db().select().from(servers).where(eq(servers.uuid, row.uuid))
    await wings.syncServer(row.uuid, await serverDocument(db(), suspended))
    expect(at.wings.servers.get(row.uuid)?.config.settings).toMatchObject({ meta: { name: 'synced' }, suspended: true })
    expect(at.wings.problems).toEqual([])
  })

  test('contributors add backups, schedules and mounts', async () => {
    const row = await insertServer(t, { node: at.node.uuid, owner, egg: egg.uuid })
    const backup = crypto.randomUUID()
    const document = await serverDocument(db(), row, [
      async () => ({ backups: [backup] }),
      async () => ({ mounts: [{ source: '/srv/maps', target: '/maps', read_only: true }] }),
    ])
    expect(document.settings).toMatchObject({
      backups: [backup],
      mounts: [{ source: '/srv/maps', target: '/maps', read_only: true }],
      schedules: [],
    })
  })
})
