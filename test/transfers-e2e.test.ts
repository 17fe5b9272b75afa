// A server moved between two nodes, the panel and both Wings doubles as separate processes: the
// source streams the server's files to the destination, which reports back to the panel. Then a
// destination that fails midway: the server stays on its source, usable, and a retry succeeds.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test'
import { join } from 'node:path'
import { freshDatabase, type TestDatabase } from '../src/testing/db'
import { freePort, ROOT, serverEnv, startServer, type RunningServer, panelJson, panelRequest } from './helpers/server'
import { serverBody } from '../plugins/servers/test-fixtures'
import { spawnWingsDouble, stopWingsDouble, until, type WingsProcess } from './helpers/wings-process'

setDefaultTimeout(90_000)

const PAPER = join(ROOT, 'test/fixtures/eggs/plcn3-paper.yaml')

interface Node {
  uuid: string
  name: string
  port: number
  token: { id: string; secret: string }
  process?: WingsProcess
}

let db: TestDatabase | undefined
let panel: RunningServer
let cookie: string
let owner: string
let egg: string
const nodes: Node[] = []

const cli = (args: string[]): Promise<any> => panelJson(panel, args)

const api = (method: string, path: string, body?: unknown) => panelRequest(panel, cookie, method, path, body)

/** Asks a node itself with its token (raw `body` for a file write). */
async function onNode(node: Node, method: string, path: string, body?: string): Promise<{ status: number; text: string }> {
  const res = await fetch(`http://127.0.0.1:${node.port}${path}`, {
    method,
    headers: { authorization: `Bearer ${node.token.secret}`, accept: 'application/json' },
    body,
  })
  return { status: res.status, text: await res.text() }
}

/** Starts a node's double as its own process (`--fail` faults given). */
async function startWings(node: Node, faults: string[] = []): Promise<void> {
  await stopWings(node)
  const args = ['--panel', panel.url, '--token-id', node.token.id, '--token', node.token.secret]
  args.push('--port', String(node.port), '--install-delay', '50', '--callback-delay', '10')
  for (const f of faults) args.push('--fail', f)
  node.process = await spawnWingsDouble(args)
}

async function stopWings(node: Node): Promise<void> {
  await stopWingsDouble(node.process)
  node.process = undefined
}

let port = 26000
/** A new allocation of the node (made through the API). */
async function allocation(node: Node): Promise<string> {
  const p = port++
  const made = await api('POST', `/api/admin/nodes/${node.uuid}/allocations`, { ip: '127.0.0.1', ports: [p] })
  expect(made.status).toBe(200)
  const list = await api('GET', `/api/admin/nodes/${node.uuid}/allocations?port_from=${p}&port_to=${p}`)
  return list.body.allocations.data[0].uuid
}

/** A server on `node` (no installer: the node knows it at once) holding `files`. */
async function server(node: Node, name: string, files: Record<string, string>): Promise<string> {
  const created = await api(
    'POST',
    '/api/admin/servers',
    serverBody(
      { node_uuid: node.uuid, owner_uuid: owner, egg_uuid: egg },
      { name, allocation_uuid: await allocation(node), feature_limits: { allocations: 2, databases: 0, backups: 0, schedules: 0 } },
    ),
  )
  expect(created.status).toBe(200)
  const uuid = created.body.server.uuid as string
  for (const [file, text] of Object.entries(files)) {
    expect((await onNode(node, 'POST', `/api/servers/${uuid}/files/write?file=${encodeURIComponent(file)}`, text)).status).toBe(200)
  }
  return uuid
}

const transferBody = async (to: Node) => ({
  node_uuid: to.uuid,
  allocation_uuid: await allocation(to),
  allocation_uuids: [],
  backups: [],
  delete_source_backups: false,
  archive_format: 'tar_gz',
  multiplex_channels: 0,
})

/** The server once no transfer is pending. */
const settled = (uuid: string) =>
  until(
    'the transfer to end',
    async () => {
      const s = (await api('GET', `/api/admin/servers/${uuid}`)).body.server
      return s.is_transferring ? undefined : s
    },
    20_000,
  )

const fileOn = async (node: Node, uuid: string, file: string) => onNode(node, 'GET', `/api/servers/${uuid}/files/contents?file=${file}`)

beforeAll(async () => {
  db = process.env.DATABASE_URL ? await freshDatabase() : undefined
  panel = await startServer(serverEnv({ DATABASE_URL: db?.url ?? '' }))
  const who = ['--password', 'a-long-password', '--name-first', 'E', '--name-last', 'Two']
  await cli(['users', 'create', '--username', 'e2e_admin', '--email', 'e2e_admin@example.com', ...who, '--admin'])
  const login = await fetch(`${panel.url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ user: 'e2e_admin', password: 'a-long-password' }),
  })
  cookie = login.headers.get('set-cookie')!.split(';')[0]
  owner = (await cli(['users', 'create', '--username', 'e2e_owner', '--email', 'e2e_owner@example.com', ...who])).uuid
  await cli(['locations', 'create', '--name', 'e2e-location'])
  for (const name of ['e2e-source', 'e2e-destination']) {
    const port = freePort()
    const created = await cli(['nodes', 'create', '--name', name, '--location', 'e2e-location', '--url', `http://127.0.0.1:${port}`])
    nodes.push({ ...created.node, port, token: { id: created.token_id, secret: created.token } })
  }
  const nest = await api('POST', '/api/admin/nests', { author: 'e2e@example.com', name: 'Minecraft' })
  egg = (await cli(['nests', 'import', nest.body.nest.uuid, PAPER])).results[0].uuid
  for (const node of nodes) await startWings(node)
}, 180_000)

afterAll(async () => {
  for (const node of nodes) await stopWings(node)
  panel?.cleanup()
  await db?.drop()
})

describe('transfers between two nodes, panel and nodes as separate processes', () => {
  test('the server moves: files on the destination, node and allocation switched, gone from the source', async () => {
    const [source, destination] = nodes
    const uuid = await server(source, 'e2e-moving', { 'world/level.dat': 'a world', 'server.properties': 'motd=moved' })
    const body = await transferBody(destination)
    const started = await api('POST', `/api/admin/servers/${uuid}/transfer`, body)
    expect([started.status, started.body]).toEqual([202, {}])
    const moved = await settled(uuid)
    expect(moved.node.uuid).toBe(destination.uuid)
    expect(moved.allocation).toMatchObject({ ip: '127.0.0.1', port: port - 1 })
    const allocations = await api('GET', `/api/admin/servers/${uuid}/allocations`)
    expect(allocations.body.allocations.data.map((a: { port: number }) => a.port)).toEqual([port - 1])
    expect((await fileOn(destination, uuid, 'world/level.dat')).text).toBe('a world')
    expect((await fileOn(destination, uuid, 'server.properties')).text).toBe('motd=moved')
    await until('the source to delete its copy', async () =>
      (await onNode(source, 'GET', `/api/servers/${uuid}`)).status === 404 ? true : undefined,
    )
  })

  test('a destination failing midway leaves the server on its source, usable; a retry succeeds', async () => {
    const [source, destination] = nodes
    await startWings(destination, ['transfer-fails'])
    const uuid = await server(source, 'e2e-staying', { 'world/level.dat': 'kept', 'a.txt': '1', 'b.txt': '2' })
    expect((await api('POST', `/api/admin/servers/${uuid}/transfer`, await transferBody(destination))).status).toBe(202)
    const stayed = await settled(uuid)
    expect([stayed.node.uuid, stayed.status]).toEqual([source.uuid, null])
    const allocations = await api('GET', `/api/admin/servers/${uuid}/allocations`)
    expect(allocations.body.allocations.total).toBe(1)
    expect((await fileOn(source, uuid, 'world/level.dat')).text).toBe('kept')
    expect((await onNode(destination, 'GET', `/api/servers/${uuid}`)).status).toBe(404)
    const power = await api('POST', `/api/client/servers/${uuid}/power`, { action: 'start' })
    expect(power.status).toBe(200)
    expect(JSON.parse((await onNode(source, 'GET', `/api/servers/${uuid}`)).text).state).toBe('running')

    await startWings(destination)
    expect((await api('POST', `/api/admin/servers/${uuid}/transfer`, await transferBody(destination))).status).toBe(202)
    const moved = await settled(uuid)
    expect(moved.node.uuid).toBe(destination.uuid)
    expect((await fileOn(destination, uuid, 'world/level.dat')).text).toBe('kept')
    // The panel process survived all of it.
    expect((await fetch(`${panel.url}/api/settings`)).status).toBe(200)
  })
})
