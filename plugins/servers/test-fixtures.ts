/** Test support for the servers plugin (test files only): a node whose Wings is the double. */
import { expect } from 'bun:test'
import type { AdminCaller, TestApp } from 'hatchery/testing'
import { startWingsDouble, type WingsDouble, type WingsDoubleOptions } from '../../tools/wings-double'
import { tables as nestTables } from '../nests'
import serversPlugin from '.'
import { eq } from 'drizzle-orm'
import { serverActivities, servers } from './tables'
import type { ServersApi } from './api'

const uniq = (prefix: string) => `${prefix}_${Math.random().toString(36).slice(2, 9)}`

export interface DoubleNode {
  node: { uuid: string; name: string }
  wings: WingsDouble
}

/** A location and a node made through the admin API (its `url` unreachable), and the node's token pair. */
export async function makeNode(
  t: TestApp,
  admin: AdminCaller,
): Promise<{ node: { uuid: string; name: string }; tokenId: string; token: string }> {
  const location = await t.request('POST', '/api/admin/locations', { cookie: admin.cookie, body: { name: uniq('loc') } })
  expect(location.status).toBe(200)
  const created = await t.request('POST', '/api/admin/nodes', {
    cookie: admin.cookie,
    body: {
      location_uuid: location.body.location.uuid,
      name: uniq('node'),
      deployment_enabled: true,
      maintenance_enabled: false,
      url: 'http://127.0.0.1:1',
      sftp_port: 2022,
      memory: 8192,
      disk: 65536,
    },
  })
  expect(created.status).toBe(200)
  const node = created.body.node as { uuid: string; name: string }
  const token = (await t.request('GET', `/api/admin/nodes/${node.uuid}/token`, { cookie: admin.cookie })).body
  return { node, tokenId: token.token_id, token: token.token }
}

/**
 * A node made with `makeNode`, then a Wings double holding the node's token, and the node's `url`
 * pointed at it. The double's calls to `/api/remote` reach the app in-process (or `panelFetch`;
 * `options` may name a real `panelUrl` with `panelFetch: fetch`).
 */
export async function nodeOnDouble(
  t: TestApp,
  admin: AdminCaller,
  panelFetch: (request: Request) => Response | Promise<Response> = (request) => t.handle(request),
  options: Partial<WingsDoubleOptions> = {},
): Promise<DoubleNode> {
  const { node, tokenId, token } = await makeNode(t, admin)
  const wings = await startWingsDouble({
    panelUrl: 'http://panel.test',
    tokenId,
    token,
    installDelayMs: 10,
    callbackDelayMs: 5,
    panelFetch,
    ...options,
  })
  const moved = await t.request('PATCH', `/api/admin/nodes/${node.uuid}`, { cookie: admin.cookie, body: { url: wings.url } })
  expect(moved.status).toBe(200)
  return { node, wings }
}

/** The servers plugin's API in the test app (e.g. to shorten the Wings deadlines). */
export const serversApi = (t: TestApp): ServersApi => t.kernel.contexts.get('servers')!.api(serversPlugin)

/** A nest, an egg (Paper-like) and one egg variable, inserted directly. */
export async function makeEgg(t: TestApp): Promise<{ uuid: string; nest: string; variable: string }> {
  const db = t.kernel.database.db
  const [nest] = await db
    .insert(nestTables.nests)
    .values({ author: 'test@example.com', name: uniq('nest') })
    .returning()
  const [egg] = await db
    .insert(nestTables.nestEggs)
    .values({
      nest_uuid: nest.uuid,
      author: 'test@example.com',
      name: 'Paper',
      config_startup: { done: ['Done'], strip_ansi: false },
      config_stop: { type: 'command', value: 'stop' },
      config_script: { container: 'debian', entrypoint: 'bash', content: 'echo' },
      startup_commands: [['Default', 'java -jar server.jar']],
      docker_images: [['Java 21', 'ghcr.io/pterodactyl/yolks:java_21']],
    })
    .returning()
  const [variable] = await db
    .insert(nestTables.nestEggVariables)
    .values({ egg_uuid: egg.uuid, name: 'Jar', env_variable: 'SERVER_JARFILE', user_viewable: true, user_editable: true })
    .returning()
  return { uuid: egg.uuid, nest: nest.uuid, variable: variable.uuid }
}

/** A server row inserted directly (no Wings call), until the panel creates servers itself. */
export async function insertServer(
  t: TestApp,
  refs: { node: string; owner: string; egg: string },
  over: Partial<typeof servers.$inferInsert> = {},
) {
  const uuid = crypto.randomUUID()
  const [row] = await t.kernel.database.db
    .insert(servers)
    .values({
      uuid,
      uuid_short: Number.parseInt(uuid.slice(0, 8), 16) | 0,
      node_uuid: refs.node,
      owner_uuid: refs.owner,
      egg_uuid: refs.egg,
      name: 'survival',
      memory: 1024,
      swap: 0,
      disk: 4096,
      cpu: 100,
      startup: 'java -jar {{SERVER_JARFILE}}',
      image: 'ghcr.io/pterodactyl/yolks:java_21',
      ...over,
    })
    .returning()
  return row
}

/**
 * A `panelFetch` for `nodeOnDouble` while the panel does not serve `/api/remote/servers/{uuid}`:
 * that document is built by the servers plugin (`document`), everything else goes to the app.
 */
export const servingDocuments = (t: TestApp) => async (request: Request) => {
  const uuid = /^\/api\/remote\/servers\/([^/]+)$/.exec(new URL(request.url).pathname)?.[1]
  if (!uuid) return t.handle(request)
  const db = t.kernel.database.db
  const [row] = await db.select().from(servers).where(eq(servers.uuid, uuid))
  return row ? Response.json(await serversApi(t).document(db, row)) : Response.json({ errors: ['server not found'] }, { status: 404 })
}

/** A valid `POST /api/admin/servers` body for these relations (no allocation, skip the installer). */
export const serverBody = (refs: { node_uuid: string; owner_uuid: string; egg_uuid: string }, over: Record<string, unknown> = {}) => ({
  ...refs,
  allocation_uuid: null,
  allocation_uuids: [],
  start_on_completion: false,
  skip_installer: true,
  name: 'survival',
  limits: { cpu: 100, memory: 1024, memory_overhead: 0, swap: 0, disk: 1024 },
  pinned_cpus: [],
  startup: 'java -jar {{SERVER_JARFILE}}',
  image: 'ghcr.io/pterodactyl/yolks:java_21',
  hugepages_passthrough_enabled: false,
  kvm_passthrough_enabled: false,
  feature_limits: { allocations: 1, databases: 0, backups: 0, schedules: 0 },
  variables: [],
  ...over,
})

/** A server of `owner` created through the admin API on the double (installed: the double knows it); its uuid. */
export async function ownedServer(
  t: TestApp,
  admin: AdminCaller,
  at: DoubleNode,
  owner: { uuid: string },
  egg: { uuid: string },
): Promise<string> {
  const res = await t.request('POST', '/api/admin/servers', {
    cookie: admin.cookie,
    body: serverBody({ node_uuid: at.node.uuid, owner_uuid: owner.uuid, egg_uuid: egg.uuid }, { name: uniq('srv') }),
  })
  expect(res.status).toBe(200)
  return res.body.server.uuid
}

/** The server activity entries of `uuid` as `[event, data]`, oldest first. */
export async function serverEvents(t: TestApp, uuid: string): Promise<[string, unknown][]> {
  const rows = await t.kernel.database.db
    .select()
    .from(serverActivities)
    .where(eq(serverActivities.server_uuid, uuid))
    .orderBy(serverActivities.id)
  return rows.map((e) => [e.event, e.data])
}

/** Waits (up to 2 s) for `probe` to find something: what the panel does in the background (node calls, mails). */
export async function until<T>(probe: () => T | undefined, what: string): Promise<T> {
  for (let i = 0; i < 100; i++) {
    const found = probe()
    if (found !== undefined) return found
    await Bun.sleep(20)
  }
  throw new Error(`timed out waiting for ${what}`)
}
