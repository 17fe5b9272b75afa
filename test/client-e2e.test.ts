// The client server area end to end (issue 14): the panel (`src/main.ts`) and two Wings doubles
// (`tools/wings-double/main.ts`) as separate processes. An owner runs a server and its console, a
// subuser gets a narrow grant and loses it at once, the admin suspends the server, and one power
// call reaches servers on two nodes while one node is down.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from 'bun:test'
import { join } from 'node:path'
import type { Subprocess } from 'bun'
import { compactVerify } from 'jose'
import { freshDatabase, type TestDatabase } from '../src/testing/db'
import { paperServerBody } from './helpers/paper-server'
import { freePort, ROOT, serverEnv, startServer, type RunningServer, panelJson, panelRequest } from './helpers/server'

setDefaultTimeout(90_000)

const PAPER = join(ROOT, 'test/fixtures/eggs/plcn3-paper.yaml')
const PASSWORD = 'a-long-password'

/** A Wings double in its own process; `log` gathers the requests it answered (`--verbose`, on stderr). */
class DoubleProcess {
  log = ''
  private child: Subprocess<'ignore', 'pipe', 'pipe'> | undefined

  constructor(
    private panelUrl: string,
    readonly token: { id: string; secret: string },
    readonly port: number,
  ) {}

  async start(): Promise<void> {
    const args = ['--panel', this.panelUrl, '--token-id', this.token.id, '--token', this.token.secret, '--port', String(this.port)]
    const child = Bun.spawn([join(ROOT, 'node_modules/.bin/bun'), 'tools/wings-double/main.ts', ...args, '--verbose'], {
      cwd: ROOT,
      stdin: 'ignore',
      stdout: 'pipe',
      stderr: 'pipe',
    })
    void (async () => {
      for await (const chunk of child.stderr) this.log += new TextDecoder().decode(chunk)
    })()
    let out = ''
    const reader = child.stdout.getReader()
    const timeout = Date.now() + 20_000
    while (!out.includes('listening on')) {
      const { done, value } = await reader.read()
      if (done || Date.now() > timeout) throw new Error(`the Wings double did not start: ${this.log}`)
      out += new TextDecoder().decode(value)
    }
    reader.releaseLock()
    this.child = child
  }

  async stop(): Promise<void> {
    this.child?.kill('SIGTERM')
    await this.child?.exited
    this.child = undefined
  }

  /** GET on the node with its token, as an operator with curl. */
  async get(path: string): Promise<any> {
    const res = await fetch(`http://127.0.0.1:${this.port}${path}`, { headers: { authorization: `Bearer ${this.token.secret}` } })
    return res.json()
  }
}

interface Session {
  uuid: string
  email: string
  cookie: string
}

let db: TestDatabase | undefined
let panel: RunningServer
let admin: Session
let owner: Session
let friend: Session
let egg: string
const nodes: { uuid: string; double: DoubleProcess }[] = []

const cli = (args: string[]): Promise<any> => panelJson(panel, args)

const call = (who: Session, method: string, path: string, body?: unknown) => panelRequest(panel, who.cookie, method, path, body)

/** A user made by the CLI, logged in. */
async function person(username: string, isAdmin = false): Promise<Session> {
  const email = `${username}@example.com`
  const flags = ['--username', username, '--email', email, '--password', PASSWORD, '--name-first', 'E', '--name-last', 'Two']
  const made = await cli(['users', 'create', ...flags, ...(isAdmin ? ['--admin'] : [])])
  const login = await fetch(`${panel.url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ user: username, password: PASSWORD }),
  })
  expect(login.status).toBe(200)
  return { uuid: made.uuid, email, cookie: login.headers.get('set-cookie')!.split(';')[0] }
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 15_000): Promise<T> {
  for (const deadline = Date.now() + ms; ;) {
    const value = await probe()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await Bun.sleep(100)
  }
}

let nextPort = 30000
/** A server of the owner on `node`, made by the admin without the installer. */
async function serverOn(node: (typeof nodes)[number], name: string): Promise<{ uuid: string; uuid_short: string }> {
  const port = nextPort++
  expect((await call(admin, 'POST', `/api/admin/nodes/${node.uuid}/allocations`, { ip: '127.0.0.1', ports: [port] })).status).toBe(200)
  const free = await call(admin, 'GET', `/api/admin/nodes/${node.uuid}/allocations?port_from=${port}&port_to=${port}`)
  const refs = { node_uuid: node.uuid, owner_uuid: owner.uuid, egg_uuid: egg, allocation_uuid: free.body.allocations.data[0].uuid }
  const created = await call(admin, 'POST', '/api/admin/servers', paperServerBody(refs, name, { skip_installer: true }))
  expect(created.status).toBe(200)
  return created.body.server
}

/**
 * The JWT's header and claims once its signature verifies with `secret` (jose's `jwtVerify` would
 * refuse the `nbf: null` that Wings expects, spec 04 §2.2, so only the signature is checked here).
 */
async function verified(token: string, secret: string) {
  const { payload, protectedHeader } = await compactVerify(token, new TextEncoder().encode(secret), { algorithms: ['HS256'] })
  return { protectedHeader, payload: JSON.parse(new TextDecoder().decode(payload)) }
}

/** A console websocket, authenticated with `token`; `events` gathers what the node sends, `closed` how it ended. */
async function openConsole(url: string, token: string) {
  const socket = new WebSocket(url)
  const events: { event: string; args: string[] }[] = []
  const closed = new Promise<{ code: number; reason: string }>((resolve) => socket.addEventListener('close', (e) => resolve(e)))
  socket.addEventListener('message', (e) => events.push(JSON.parse(String(e.data))))
  await new Promise((resolve, reject) => {
    socket.addEventListener('open', resolve)
    socket.addEventListener('error', reject)
  })
  const send = (event: string, args: string[] = []) => socket.send(JSON.stringify({ event, args }))
  send('auth', [token])
  const seen = (event: string) => until(`the console event ${event}`, async () => events.find((e) => e.event === event))
  return { socket, events, closed, send, seen }
}

beforeAll(async () => {
  db = process.env.DATABASE_URL ? await freshDatabase() : undefined
  panel = await startServer(serverEnv({ DATABASE_URL: db?.url ?? '' }))
  admin = await person('c14_admin', true)
  owner = await person('c14_owner')
  friend = await person('c14_friend')
  await cli(['locations', 'create', '--name', 'c14-location'])
  for (const name of ['c14-alpha', 'c14-beta']) {
    const port = freePort()
    const made = await cli(['nodes', 'create', '--name', name, '--location', 'c14-location', '--url', `http://127.0.0.1:${port}`])
    const double = new DoubleProcess(panel.url, { id: made.token_id, secret: made.token }, port)
    await double.start()
    nodes.push({ uuid: made.node.uuid, double })
  }
  const nest = await call(admin, 'POST', '/api/admin/nests', { author: 'e2e@example.com', name: 'Minecraft' })
  egg = (await cli(['nests', 'import', nest.body.nest.uuid, PAPER])).results[0].uuid
}, 180_000)

afterAll(async () => {
  for (const node of nodes) await node.double.stop()
  panel?.cleanup()
  await db?.drop()
})

describe('the client server area, panel and nodes as separate processes', () => {
  let server: { uuid: string; uuid_short: string }
  const alpha = () => nodes[0]
  const base = () => `/api/client/servers/${server.uuid}`

  test('the owner lists the server, starts it, sends a command, and reaches the console with a token signed by the node token', async () => {
    server = await serverOn(alpha(), 'c14-survival')
    const list = await call(owner, 'GET', '/api/client/servers?search=c14-survival')
    expect(list.status).toBe(200)
    expect(list.body.servers.data.map((s: any) => s.uuid)).toEqual([server.uuid])

    expect((await call(owner, 'POST', `${base()}/power`, { action: 'start' })).status).toBe(200)
    await until('the server running', async () =>
      (await alpha().double.get(`/api/servers/${server.uuid}`)).state === 'running' ? true : undefined,
    )
    const command = await call(owner, 'POST', `${base()}/command`, { command: 'say hello from the owner' })
    expect([command.status, command.body]).toEqual([200, {}])

    const credentials = await call(owner, 'GET', `${base()}/websocket`)
    expect(credentials.status).toBe(200)
    expect(credentials.body.url).toBe(`ws://127.0.0.1:${alpha().double.port}/api/servers/${server.uuid}/ws`)
    const { payload, protectedHeader } = await verified(credentials.body.token, alpha().double.token.secret)
    expect(protectedHeader).toEqual({ alg: 'HS256', typ: 'JWT' })
    expect(payload).toMatchObject({ scope: 'websocket', jti: owner.uuid, user_uuid: owner.uuid, server_uuid: server.uuid })
    expect([payload.exp - payload.iat, payload.nbf, payload.aud]).toEqual([600, null, []])
    await expect(verified(credentials.body.token, nodes[1].double.token.secret)).rejects.toThrow()

    const console = await openConsole(credentials.body.url, credentials.body.token)
    expect((await console.seen('auth success')).args).toContain('*')
    console.send('send logs')
    expect(
      (await until('the command in the logs', async () => console.events.find((e) => e.args[0] === 'say hello from the owner'))).event,
    ).toBe('console output')
    console.socket.close()
  })

  test('a subuser with only control.console may send a command but not power; removing them closes their console at once', async () => {
    const added = await call(owner, 'POST', `${base()}/subusers`, {
      email: friend.email,
      permissions: ['control.console'],
      ignored_files: [],
    })
    expect(added.status).toBe(200)
    expect((await call(friend, 'POST', `${base()}/command`, { command: 'say hello from a friend' })).status).toBe(200)
    const power = await call(friend, 'POST', `${base()}/power`, { action: 'stop' })
    expect([power.status, power.body.errors]).toEqual([403, ['you do not have permission to perform this action: control.stop']])

    const credentials = await call(friend, 'GET', `${base()}/websocket`)
    const { payload } = await verified(credentials.body.token, alpha().double.token.secret)
    expect(payload.permissions).toEqual(['websocket.connect', 'meta.calagopus', 'control.console'])
    const console = await openConsole(credentials.body.url, credentials.body.token)
    await console.seen('auth success')
    console.send('set state', ['stop'])
    expect((await console.seen('daemon error')).args).toEqual(['you do not have permission to perform this action'])

    expect((await call(owner, 'DELETE', `${base()}/subusers/${friend.uuid}`)).status).toBe(200)
    const closed = await console.closed
    expect(closed.code).toBe(4403)
    await until('ws/deny on the node', async () =>
      alpha().double.log.includes(`POST /api/servers/${server.uuid}/ws/deny → 200`) ? true : undefined,
    )
    // The token they still hold is refused, and the panel hands them no other.
    const again = await openConsole(credentials.body.url, credentials.body.token)
    expect((await again.seen('jwt error')).args).toEqual(['JWT expired'])
    expect(again.events.some((e) => e.event === 'auth success')).toBe(false)
    again.socket.close()
    expect((await call(friend, 'GET', `${base()}/websocket`)).status).toBe(404)
    expect((await call(friend, 'POST', `${base()}/command`, { command: 'say still here?' })).status).toBe(404)
  })

  test('the admin suspends the server: power is refused with 409 until it is unsuspended', async () => {
    expect((await call(admin, 'PATCH', `/api/admin/servers/${server.uuid}`, { suspended: true })).status).toBe(200)
    const refused = await call(owner, 'POST', `${base()}/power`, { action: 'restart' })
    expect([refused.status, refused.body.errors]).toEqual([409, ['server is suspended']])
    expect((await call(admin, 'PATCH', `/api/admin/servers/${server.uuid}`, { suspended: false })).status).toBe(200)
    expect((await call(owner, 'POST', `${base()}/power`, { action: 'start' })).status).toBe(200)
  })

  test('bulk power over three servers on two nodes, one node down: each answered on its own', async () => {
    const second = await serverOn(alpha(), 'c14-creative')
    const beta = nodes[1]
    const third = await serverOn(beta, 'c14-far')
    await beta.double.stop()
    const started = Date.now()
    const res = await call(owner, 'POST', '/api/client/servers/power', {
      servers: [server.uuid, second.uuid_short, third.uuid],
      action: 'restart',
    })
    expect(res.status).toBe(200)
    expect(Date.now() - started).toBeLessThan(20_000)
    expect(res.body.results).toEqual({
      [server.uuid]: { ok: true },
      [second.uuid_short]: { ok: true },
      [third.uuid]: { status: 502, error: 'node c14-beta is unreachable' },
    })
    await until('the second server running', async () =>
      (await alpha().double.get(`/api/servers/${second.uuid}`)).state === 'running' ? true : undefined,
    )
  })
})
