// The panel and a Wings node as two processes, as they run in production (shared by the end-to-end
// tests): the panel (`src/main.ts`) with its CLI, an admin, an owner, a location, a node made by
// `panel nodes create`, the Paper egg imported, and the Wings double (`tools/wings-double/main.ts`)
// holding the node's token. The state is exported as live bindings, filled by `useTwoProcesses()`.
import { afterAll, beforeAll, expect } from 'bun:test'
import { join } from 'node:path'
import { freshDatabase, type TestDatabase } from '../../src/testing/db'
import { freePort, ROOT, serverEnv, startServer, type RunningServer, panelJson, panelRequest } from './server'
import { paperServerBody } from './paper-server'
import { spawnWingsDouble, stopWingsDouble, type WingsProcess } from './wings-process'

export { until } from './wings-process'

const PAPER = join(ROOT, 'test/fixtures/eggs/plcn3-paper.yaml')

let db: TestDatabase | undefined
export let panel: RunningServer
export let cookie: string
export let node: { uuid: string; name: string }
export let token: { id: string; secret: string }
export let wingsPort: number
let wings: WingsProcess | undefined
export let egg: string
export let location: string
export let owner: string

export const cli = (args: string[]): Promise<any> => panelJson(panel, args)

export const api = (method: string, path: string, body?: unknown) => panelRequest(panel, cookie, method, path, body)

/** Asks the node itself (with its token), as an operator would with curl. */
export async function onNode(path: string): Promise<{ status: number; body: any }> {
  const res = await fetch(`http://127.0.0.1:${wingsPort}${path}`, {
    headers: { authorization: `Bearer ${token.secret}`, accept: 'application/json' },
  })
  return { status: res.status, body: await res.json().catch(() => null) }
}

/** Starts the double as its own process (`--fail` faults given), and waits for its one line. */
export async function startWings(faults: string[] = []): Promise<void> {
  await stopWings()
  const args = ['--panel', panel.url, '--token-id', token.id, '--token', token.secret, '--port', String(wingsPort)]
  for (const f of faults) args.push('--fail', f)
  args.push('--install-delay', '50', '--callback-delay', '10')
  wings = await spawnWingsDouble(args)
}

export async function stopWings(): Promise<void> {
  await stopWingsDouble(wings)
  wings = undefined
}

/** A `POST /api/admin/servers` body for the node, the owner and the egg. */
export const serverBody = (name: string, allocationUuid: string | null) =>
  paperServerBody({ node_uuid: node.uuid, owner_uuid: owner, egg_uuid: egg, allocation_uuid: allocationUuid }, name)

/** Registers the hooks that start the panel, the users, the node and the double (and stop them). */
export function useTwoProcesses(): void {
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
}
