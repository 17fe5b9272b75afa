import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { randomUUID } from 'node:crypto'
import { SignJWT, type JWTPayload } from 'jose'
import { pack, unpack } from 'msgpackr'
import { remoteServer, startFakePanel, type FakePanel } from './fake-panel'
import { startWingsDouble, type WingsDouble } from './index'

let panel: FakePanel
let wings: WingsDouble
let server: string

beforeAll(async () => {
  panel = startFakePanel()
  wings = await startWingsDouble({ panelUrl: panel.url, tokenId: panel.tokenId, token: panel.token })
  server = randomUUID()
  panel.configs.set(server, remoteServer(server))
  await post(`/api/servers`, { uuid: server, skip_scripts: true })
})
afterAll(async () => {
  await wings.stop()
  await panel.stop()
})

function post(path: string, body: unknown) {
  return fetch(wings.url + path, {
    method: 'POST',
    headers: { authorization: `Bearer ${panel.token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
}

/** A console token as the panel mints it (spec 04 §2.1, §2.2). */
function sign(claims: Record<string, unknown> = {}, key = panel.token) {
  const now = Math.floor(Date.now() / 1000)
  // `sub` and `nbf` are null, as the panel emits them: not what jose's types expect.
  const payload: Record<string, unknown> = {
    scope: 'websocket',
    iss: 'panel',
    sub: null,
    aud: [],
    exp: now + 600,
    nbf: null,
    iat: now,
    jti: randomUUID(),
    user_uuid: randomUUID(),
    user_name: 'alice',
    user_avatar: null,
    server_uuid: server,
    permissions: ['websocket.connect', 'meta.calagopus', '*'],
    ignored_files: [],
    ...claims,
  }
  return new SignJWT(payload as JWTPayload).setProtectedHeader({ typ: 'JWT', alg: 'HS256' }).sign(new TextEncoder().encode(key))
}

interface Frame {
  event: string
  args: string[]
}

/** A console client that records frames (text or binary) and how the socket closed. */
async function connect(uuid = server) {
  const socket = new WebSocket(`${wings.url.replace('http', 'ws')}/api/servers/${uuid}/ws`)
  socket.binaryType = 'arraybuffer'
  const frames: Frame[] = []
  let closed: { code: number; reason: string } | null = null
  socket.onmessage = (message) => {
    if (typeof message.data === 'string') frames.push(JSON.parse(message.data))
    else {
      const [event, args] = unpack(new Uint8Array(message.data)) as [string, string[]]
      frames.push({ event, args })
    }
  }
  socket.onclose = (event) => (closed = { code: event.code, reason: event.reason })
  await new Promise((resolve, reject) => ((socket.onopen = resolve), (socket.onerror = reject)))
  const until = async (done: () => boolean) => {
    const deadline = Date.now() + 2000
    while (!done()) {
      if (Date.now() > deadline) throw new Error(`timed out; frames: ${JSON.stringify(frames)}`)
      await Bun.sleep(5)
    }
  }
  return {
    socket,
    frames,
    closed: () => closed,
    send: (event: string, args: string[] | null) => socket.send(JSON.stringify({ event, args })),
    event: async (name: string) => {
      await until(() => frames.some((f) => f.event === name))
      return frames.find((f) => f.event === name)!
    },
    waitClosed: async () => {
      await until(() => closed !== null)
      return closed!
    },
  }
}

describe('WS /api/servers/{uuid}/ws: auth (spec 04 §2.1, §2.4)', () => {
  test('a valid token gets auth success with the recognised permissions, then status', async () => {
    const client = await connect()
    client.send('auth', [await sign()])
    expect((await client.event('auth success')).args).toEqual(['websocket.connect', '*'])
    expect((await client.event('status')).args).toEqual(['offline'])
    client.socket.close()
  })

  test('an expired token, one for another server or one minted before boot gets token expired and jwt error; the socket stays open', async () => {
    const now = Math.floor(Date.now() / 1000)
    for (const claims of [{ exp: now - 5 }, { server_uuid: randomUUID() }, { iat: now - 3600 }, { nbf: now + 60 }]) {
      const client = await connect()
      client.send('auth', [await sign(claims)])
      await client.event('token expired')
      expect((await client.event('jwt error')).args).toEqual(['JWT expired'])
      expect(client.frames.some((f) => f.event === 'auth success')).toBe(false)
      expect(client.closed()).toBeNull()
      // A fresh token on the same socket authenticates it.
      client.send('auth', [await sign()])
      await client.event('auth success')
      client.socket.close()
    }
  })

  test('a token signed with another key, or without websocket.connect, closes the socket', async () => {
    for (const token of [await sign({}, 'x'.repeat(64)), await sign({ permissions: ['control.console'] }), 'not-a-jwt']) {
      const client = await connect()
      client.send('auth', [token])
      await client.waitClosed()
      expect(client.frames.some((f) => f.event === 'auth success')).toBe(false)
    }
  })

  test('an event before auth closes the socket; a frame that is not JSON is a jwt error', async () => {
    const client = await connect()
    client.socket.send('{oops')
    await client.event('jwt error')
    client.send('send command', ['stop'])
    await client.waitClosed()
  })

  test('an unknown server is 404 before the upgrade', async () => {
    const response = await fetch(`${wings.url}/api/servers/${randomUUID()}/ws`)
    expect(response.status).toBe(404)
    expect(await response.json()).toEqual({ error: 'server not found' })
  })

  test('ws/deny disconnects the denied user and refuses the tokens issued before it', async () => {
    const user = randomUUID()
    const token = await sign({ jti: user, user_uuid: user })
    const client = await connect()
    client.send('auth', [token])
    await client.event('auth success')
    expect((await post(`/api/servers/${server}/ws/deny`, { jtis: [user] })).status).toBe(200)
    await client.waitClosed()
    const again = await connect()
    again.send('auth', [token])
    await again.event('token expired')
    again.socket.close()
  })

  test('ws/permissions with an empty list closes that user\'s sockets with "permission revoked"', async () => {
    const user = randomUUID()
    const client = await connect()
    client.send('auth', [await sign({ user_uuid: user })])
    await client.event('auth success')
    await post(`/api/servers/${server}/ws/permissions`, { user_permissions: [{ user, permissions: [], ignored_files: [] }] })
    expect((await client.waitClosed()).reason).toBe('permission revoked')
  })
})

describe('WS /api/servers/{uuid}/ws: events', () => {
  test('set state and send command: status pushed, command echoed as console output', async () => {
    const client = await connect()
    client.send('auth', [await sign({ permissions: ['websocket.connect', 'control.console', 'control.start', 'control.stop'] })])
    await client.event('auth success')
    client.send('send command', ['say offline'])
    expect((await client.event('daemon message')).args).toEqual(['server is offline'])
    client.send('set state', ['start'])
    await Bun.sleep(0)
    const deadline = Date.now() + 2000
    while (!client.frames.some((f) => f.event === 'status' && f.args[0] === 'running') && Date.now() < deadline) await Bun.sleep(5)
    expect(wings.servers.get(server)?.state).toBe('running')
    client.send('send command', ['say hi'])
    expect((await client.event('console output')).args).toEqual(['say hi'])
    client.send('set state', ['restart'])
    expect((await client.event('daemon error')).args[0]).toContain('permission')
    // The panel's power route reaches connected sockets too.
    await post(`/api/servers/${server}/power`, { action: 'kill' })
    while (client.frames.at(-1)?.args[0] !== 'offline' && Date.now() < deadline) await Bun.sleep(5)
    expect(client.frames.at(-1)).toEqual({ event: 'status', args: ['offline'] })
    client.socket.close()
  })

  test('binary MessagePack frames are accepted, and binary mode answers in binary', async () => {
    const client = await connect()
    client.socket.send(pack(['auth', [await sign()]]))
    await client.event('auth success')
    client.socket.send(pack(['configure socket', ['transmission mode', 'binary']]))
    client.socket.send(pack(['ping', []]))
    await client.event('pong')
    client.send('send stats', [])
    expect(JSON.parse((await client.event('stats')).args[0])).toMatchObject({ state: 'offline', memory_bytes: 0 })
    client.socket.close()
  })
})
