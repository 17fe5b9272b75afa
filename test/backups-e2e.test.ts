// Backups with the panel and a Wings node as two processes: a file written on the node is backed
// up into a real tar.gz, deleted, and found again after a restore; a backup group with
// `retention_count` 2 keeps its two newest backups after a third.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test'
import { join } from 'node:path'
import type { Subprocess } from 'bun'
import { freshDatabase, type TestDatabase } from '../src/testing/db'
import { freePort, ROOT, serverEnv, startServer, type RunningServer, panelJson, panelRequest } from './helpers/server'

setDefaultTimeout(90_000)

const BUN = join(ROOT, 'node_modules/.bin/bun')
const PAPER = join(ROOT, 'test/fixtures/eggs/plcn3-paper.yaml')

let db: TestDatabase | undefined
let panel: RunningServer
let cookie: string
let token: { id: string; secret: string }
let wingsPort: number
let wings: Subprocess<'ignore', 'pipe', 'pipe'> | undefined
let server: string

const cli = (args: string[]): Promise<any> => panelJson(panel, args)

const api = (method: string, path: string, body?: unknown) => panelRequest(panel, cookie, method, path, body)

/** The node's own file API (with its token), as the file manager's proxy would reach it. */
async function onNode(method: string, path: string, body?: string | object): Promise<Response> {
  const raw = typeof body === 'string'
  return fetch(`http://127.0.0.1:${wingsPort}/api/servers/${server}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token.secret}`,
      accept: 'application/json',
      ...(body === undefined ? {} : { 'content-type': raw ? 'application/octet-stream' : 'application/json' }),
    },
    body: body === undefined ? undefined : raw ? body : JSON.stringify(body),
  })
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms
  for (;;) {
    const value = await probe()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await Bun.sleep(100)
  }
}

/** A backup made through the client API, once the node has reported it. */
async function backup(body: Record<string, unknown> = {}): Promise<string> {
  const made = await api('POST', `/api/client/servers/${server}/backups`, { ignored_files: [], ...body })
  expect(made.status).toBe(200)
  const uuid = made.body.backup.uuid as string
  const done = await until('the backup report', async () => {
    const b = (await api('GET', `/api/client/servers/${server}/backups/${uuid}`)).body.backup
    return b?.completed ? b : undefined
  })
  expect(done.is_successful).toBe(true)
  return uuid
}

beforeAll(async () => {
  db = process.env.DATABASE_URL ? await freshDatabase() : undefined
  panel = await startServer(serverEnv({ DATABASE_URL: db?.url ?? '' }))
  const user = ['--password', 'a-long-password', '--name-first', 'E', '--name-last', 'Admin']
  await cli(['users', 'create', '--username', 'bk_admin', '--email', 'bk_admin@example.com', ...user, '--admin'])
  const login = await fetch(`${panel.url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ user: 'bk_admin', password: 'a-long-password' }),
  })
  cookie = login.headers.get('set-cookie')!.split(';')[0]
  const owner = (await cli(['users', 'create', '--username', 'bk_owner', '--email', 'bk_owner@example.com', ...user])).uuid
  await cli(['locations', 'create', '--name', 'bk-location'])
  wingsPort = freePort()
  const created = await cli(['nodes', 'create', '--name', 'bk-node', '--location', 'bk-location', '--url', `http://127.0.0.1:${wingsPort}`])
  token = { id: created.token_id, secret: created.token }
  const configuration = await api('POST', '/api/admin/backup-configurations', {
    name: 'on the node',
    maintenance_enabled: false,
    shared: false,
    backup_disk: 'local',
    backup_configs: {},
  })
  expect(configuration.status).toBe(200)
  const linked = await api('PATCH', `/api/admin/nodes/${created.node.uuid}`, {
    backup_configuration_uuid: configuration.body.backup_configuration.uuid,
  })
  expect(linked.status).toBe(200)
  const nest = await api('POST', '/api/admin/nests', { author: 'e2e@example.com', name: 'Minecraft' })
  const egg = (await cli(['nests', 'import', nest.body.nest.uuid, PAPER])).results[0].uuid
  wings = Bun.spawn(
    [BUN, 'tools/wings-double/main.ts', '--panel', panel.url, '--token-id', token.id, '--token', token.secret, '--port', String(wingsPort)],
    { cwd: ROOT, stdin: 'ignore', stdout: 'pipe', stderr: 'pipe' },
  )
  const reader = wings.stdout.getReader()
  let seen = ''
  while (!seen.includes('listening on')) {
    const { done, value } = await reader.read()
    if (done) throw new Error(`the Wings double exited: ${await new Response(wings.stderr).text()}`)
    seen += new TextDecoder().decode(value)
  }
  reader.releaseLock()
  const made = await api('POST', '/api/admin/servers', {
    node_uuid: created.node.uuid,
    owner_uuid: owner,
    egg_uuid: egg,
    allocation_uuid: null,
    allocation_uuids: [],
    start_on_completion: false,
    skip_installer: true,
    name: 'bk-survival',
    limits: { cpu: 100, memory: 1024, memory_overhead: 0, swap: 0, disk: 4096, io_weight: null },
    pinned_cpus: [],
    startup: 'java -Xms128M -jar {{SERVER_JARFILE}}',
    image: 'ghcr.io/pelican-eggs/yolks:java_21',
    hugepages_passthrough_enabled: false,
    kvm_passthrough_enabled: false,
    feature_limits: { allocations: 0, databases: 0, backups: 10, schedules: 0 },
    variables: [],
  })
  expect(made.status).toBe(200)
  server = made.body.server.uuid
}, 180_000)

afterAll(async () => {
  if (wings) {
    wings.kill('SIGTERM')
    await wings.exited
  }
  panel?.cleanup()
  await db?.drop()
})

describe('backups, panel and node as separate processes', () => {
  test('write a file on the node → back up → delete the file → restore → the file is back', async () => {
    expect((await onNode('POST', '/files/write?file=server.properties', 'motd=hello backups\n')).status).toBe(200)
    const uuid = await backup({ name: 'before the accident' })
    const deleted = await onNode('POST', '/files/delete', { root: '/', files: ['server.properties'] })
    expect(deleted.status).toBe(200)
    expect((await onNode('GET', '/files/contents?file=server.properties')).status).toBe(404)

    const restore = await api('POST', `/api/client/servers/${server}/backups/${uuid}/restore`, { truncate_directory: true })
    expect(restore.status).toBe(200)
    await until('the restore report', async () => {
      const s = (await api('GET', `/api/admin/servers/${server}`)).body.server
      return s.status === null ? s : undefined
    })
    const back = await onNode('GET', '/files/contents?file=server.properties')
    expect([back.status, await back.text()]).toEqual([200, 'motd=hello backups\n'])

    // The download URL serves the same archive from the node.
    const url = (await api('GET', `/api/client/servers/${server}/backups/${uuid}/download`)).body.url
    const files = await new Bun.Archive(new Uint8Array(await (await fetch(url)).arrayBuffer())).files()
    expect(await files.get('server.properties')?.text()).toBe('motd=hello backups\n')
  })

  test('a group with retention_count 2 keeps the two newest after a third backup', async () => {
    const group = await api('POST', `/api/client/servers/${server}/backups/groups`, { name: 'rotating', retention_count: 2 })
    expect(group.status).toBe(200)
    const g = group.body.backup_group.uuid
    const oldest = await backup({ name: 'r1', backup_group_uuid: g })
    await backup({ name: 'r2', backup_group_uuid: g })
    await backup({ name: 'r3', backup_group_uuid: g })
    const names = await until('the rotation', async () => {
      const list = (await api('GET', `/api/client/servers/${server}/backups/groups/${g}`)).body.backups.data.map((b: any) => b.name)
      return list.length === 2 ? list : undefined
    })
    expect(names).toEqual(['r2', 'r3'])
    expect((await api('GET', `/api/client/servers/${server}/backups/${oldest}`)).status).toBe(404)
    const groups = (await api('GET', `/api/client/servers/${server}/backups/groups`)).body.backup_groups
    expect(groups.find((x: any) => x.uuid === g)).toMatchObject({ total_backups: 2, usable_backups: 2 })
  })
})
