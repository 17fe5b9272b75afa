// The panel and a Wings node as two processes, as they run in production: the panel (`src/main.ts`)
// with its CLI, and the Wings double (`tools/wings-double/main.ts`) holding the token `panel nodes
// create` printed. A server goes through its whole life; then the node goes down, slow and
// answers garbage, and every step must fail cleanly within its deadline, leaving nothing half-made.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test'
import { join } from 'node:path'
import { freshDatabase, type TestDatabase } from '../src/testing/db'
import { paperServerBody } from './helpers/paper-server'
import { freePort, ROOT, runPanel, serverEnv, startServer, type RunningServer } from './helpers/server'
import { spawnWingsDouble, stopWingsDouble, until, type WingsProcess } from './helpers/wings-process'

setDefaultTimeout(90_000)

const PAPER = join(ROOT, 'test/fixtures/eggs/plcn3-paper.yaml')
/** The panel's whole-call deadline for Wings (spec 04 §1.4), and what a caller may wait beyond it. */
const WINGS_DEADLINE_MS = 15_000
const SLACK_MS = 5_000

let db: TestDatabase | undefined
let panel: RunningServer
let cookie: string
let node: { uuid: string; name: string }
let token: { id: string; secret: string }
let wingsPort: number
let wings: WingsProcess | undefined
let egg: string
let location: string
let owner: string

async function cli(args: string[]): Promise<any> {
  const res = await runPanel(panel.env, [...args, '--json'])
  if (res.code !== 0) throw new Error(`panel ${args.join(' ')}: ${res.code} ${res.stderr}`)
  return JSON.parse(res.stdout)
}

async function api(method: string, path: string, body?: unknown): Promise<{ status: number; body: any; ms: number }> {
  const started = Date.now()
  const res = await fetch(`${panel.url}${path}`, {
    method,
    headers: { cookie, accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  return { status: res.status, body: await res.json(), ms: Date.now() - started }
}

/** Asks the node itself (with its token), as an operator would with curl. */
async function onNode(path: string): Promise<{ status: number; body: any }> {
  const res = await fetch(`http://127.0.0.1:${wingsPort}${path}`, {
    headers: { authorization: `Bearer ${token.secret}`, accept: 'application/json' },
  })
  return { status: res.status, body: await res.json().catch(() => null) }
}

/** Starts the double as its own process (`--fail` faults given). */
async function startWings(faults: string[] = []): Promise<void> {
  await stopWings()
  const args = ['--panel', panel.url, '--token-id', token.id, '--token', token.secret, '--port', String(wingsPort)]
  for (const f of faults) args.push('--fail', f)
  args.push('--install-delay', '50', '--callback-delay', '10')
  wings = await spawnWingsDouble(args)
}

async function stopWings(): Promise<void> {
  await stopWingsDouble(wings)
  wings = undefined
}

let port = 25565
/** A free allocation of the node (made through the API), for one server. */
async function allocation(): Promise<string> {
  const p = port++
  const made = await api('POST', `/api/admin/nodes/${node.uuid}/allocations`, { ip: '127.0.0.1', ports: [p] })
  expect(made.status).toBe(200)
  const list = await api('GET', `/api/admin/nodes/${node.uuid}/allocations?port_from=${p}&port_to=${p}`)
  return list.body.allocations.data[0].uuid
}

const serverBody = (name: string, allocationUuid: string) =>
  paperServerBody({ node_uuid: node.uuid, owner_uuid: owner, egg_uuid: egg, allocation_uuid: allocationUuid }, name)

/** Nothing of a failed create remains: no server by that name, the allocation free. */
async function nothingHalfMade(name: string, allocationUuid: string): Promise<void> {
  expect((await api('GET', `/api/admin/servers?search=${name}`)).body.servers.total).toBe(0)
  const list = await api('GET', `/api/admin/nodes/${node.uuid}/allocations?per_page=100`)
  const row = list.body.allocations.data.find((a: any) => a.uuid === allocationUuid)
  expect(row.server).toBeNull()
}

beforeAll(async () => {
  db = process.env.DATABASE_URL ? await freshDatabase() : undefined
  panel = await startServer(serverEnv({ DATABASE_URL: db?.url ?? '' }))
  const admin = await cli([
    'users',
    'create',
    '--username',
    'e2e_admin',
    '--email',
    'e2e_admin@example.com',
    '--password',
    'a-long-password',
    '--name-first',
    'E',
    '--name-last',
    'Admin',
    '--admin',
  ])
  expect(admin.admin).toBe(true)
  const login = await fetch(`${panel.url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ user: 'e2e_admin', password: 'a-long-password' }),
  })
  cookie = login.headers.get('set-cookie')!.split(';')[0]
  owner = (
    await cli([
      'users',
      'create',
      '--username',
      'e2e_owner',
      '--email',
      'e2e_owner@example.com',
      '--password',
      'a-long-password',
      '--name-first',
      'E',
      '--name-last',
      'Owner',
      '--name-first',
      'E',
      '--name-last',
      'Owner',
    ])
  ).uuid
  location = (await cli(['locations', 'create', '--name', 'e2e-location'])).uuid
  wingsPort = freePort()
  const created = await cli([
    'nodes',
    'create',
    '--name',
    'e2e-node',
    '--location',
    'e2e-location',
    '--url',
    `http://127.0.0.1:${wingsPort}`,
  ])
  node = created.node
  token = { id: created.token_id, secret: created.token }
  expect(created.join.token).toBe(created.token)
  const nest = await api('POST', '/api/admin/nests', { author: 'e2e@example.com', name: 'Minecraft' })
  const imported = await cli(['nests', 'import', nest.body.nest.uuid, PAPER])
  egg = imported.results[0].uuid
  expect(egg).toBeString()
  await startWings()
}, 180_000)

afterAll(async () => {
  await stopWings()
  panel?.cleanup()
  await db?.drop()
})

describe('a server through its life, panel and node as separate processes', () => {
  test('deployed from the Paper egg for a user → the node fetches its configuration and reports the install → suspended and back (each synced) → deleted', async () => {
    // Deployed: the panel picks the node of the location, and (no allocation given, no egg
    // configuration rules) one free allocation of it as the primary.
    const a = await allocation()
    const { node_uuid: _node, allocation_uuid: _a, ...body } = serverBody('e2e-survival', a)
    const created = await api('POST', '/api/admin/servers/deploy', {
      ...body,
      deployment: { location_uuids: [location], allow_overallocation: false },
    })
    expect(created.status).toBe(200)
    expect(created.body.server.node.uuid).toBe(node.uuid)
    expect(created.body.server.allocation.uuid).toBeString()
    const uuid = created.body.server.uuid as string
    // The node fetched the configuration from /api/remote before answering, and runs the installer.
    expect((await onNode(`/api/servers/${uuid}`)).status).toBe(200)
    const installed = await until('the install report', async () => {
      const s = (await api('GET', `/api/admin/servers/${uuid}`)).body.server
      return s.status === null ? s : undefined
    })
    expect(installed.allocation.port).toBe(port - 1)

    expect((await api('PATCH', `/api/admin/servers/${uuid}`, { suspended: true })).status).toBe(200)
    await until('the suspension on the node', async () =>
      (await onNode(`/api/servers/${uuid}`)).body?.is_suspended === true ? true : undefined,
    )
    expect((await api('PATCH', `/api/admin/servers/${uuid}`, { suspended: false })).status).toBe(200)
    await until('the unsuspension on the node', async () =>
      (await onNode(`/api/servers/${uuid}`)).body?.is_suspended === false ? true : undefined,
    )

    const deleted = await api('DELETE', `/api/admin/servers/${uuid}`, {})
    expect(deleted.status).toBe(200)
    expect((await onNode(`/api/servers/${uuid}`)).status).toBe(404)
    expect((await api('GET', `/api/admin/servers/${uuid}`)).status).toBe(404)
  })
})

describe('the node failing: every step fails cleanly within its deadline', () => {
  const cases: [string, string[], number][] = [
    ['down', ['down'], 8_000],
    ['slow past the deadline', ['slow=30000@POST /api/servers'], WINGS_DEADLINE_MS + SLACK_MS],
    ['answering an HTML page', ['html@POST /api/servers'], 8_000],
    ['answering a 500', ['status=500@POST /api/servers'], 8_000],
  ]
  for (const [label, faults, within] of cases) {
    test(`creating a server while the node is ${label}: 502, and nothing half-made`, async () => {
      if (faults[0] === 'down') await stopWings()
      else await startWings(faults)
      const a = await allocation()
      const name = `e2e-${label.split(' ')[0]}`
      const res = await api('POST', '/api/admin/servers', serverBody(name, a))
      expect([res.status, res.body.errors]).toEqual([502, [`node ${node.name} is unreachable`]])
      expect(res.ms).toBeLessThan(within)
      await nothingHalfMade(name, a)
    })
  }

  test('with the node down: suspending answers at once (the node takes it on boot), deleting is refused unless forced', async () => {
    await startWings()
    const a = await allocation()
    const created = await api('POST', '/api/admin/servers', { ...serverBody('e2e-orphan', a), skip_installer: true })
    expect(created.status).toBe(200)
    const uuid = created.body.server.uuid as string
    await stopWings()
    const suspended = await api('PATCH', `/api/admin/servers/${uuid}`, { suspended: true })
    expect(suspended.status).toBe(200)
    expect(suspended.ms).toBeLessThan(8_000)
    const refused = await api('DELETE', `/api/admin/servers/${uuid}`, {})
    expect([refused.status, refused.body.errors]).toEqual([502, [`node ${node.name} is unreachable`]])
    expect(refused.ms).toBeLessThan(8_000)
    expect((await api('GET', `/api/admin/servers/${uuid}`)).status).toBe(200)
    const forced = await api('DELETE', `/api/admin/servers/${uuid}`, { force: true })
    expect(forced.status).toBe(200)
    expect((await api('GET', `/api/admin/servers/${uuid}`)).status).toBe(404)
    // The panel process survived all of it.
    expect((await fetch(`${panel.url}/api/settings`)).status).toBe(200)
  })
})
