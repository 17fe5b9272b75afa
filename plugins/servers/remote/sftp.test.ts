import { beforeAll, describe, expect, test } from 'bun:test'
import { generateKeyPairSync } from 'node:crypto'
import { adminCallers, expectModel, makeUser, SETUP_TIMEOUT, useTestApp, type TestUser } from 'hatchery/testing'
import { parsePublicKeyLine, tables as accountTables } from '../../account'
import { tables as userTables } from '../../users'
import { shortId } from '../service/install-mail'
import { makeEgg } from '../test-fixtures'
import { serverSubusers } from '../tables'
import { SftpGrant } from './model'
import { asNode, remoteNode, serverOn, type RemoteNode } from './test-kit'

const t = useTestApp()
const db = () => t.kernel.database.db
let node: RemoteNode
let other: RemoteNode
let owner: TestUser
let stranger: TestUser
let egg: string
const BASE = ['websocket.connect', 'meta.calagopus']
const OWNER = [...BASE, 'admin.websocket.install', 'admin.websocket.transfer', '*']
const ADMIN = [...BASE, '*', 'admin.websocket.errors', 'admin.websocket.install', 'admin.websocket.transfer']

/** A fresh ed25519 key as an OpenSSH public key line. */
function publicKeyLine(): string {
  const { publicKey } = generateKeyPairSync('ed25519')
  const raw = Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url')
  const str = (b: Buffer) => {
    const length = Buffer.alloc(4)
    length.writeUInt32BE(b.length)
    return Buffer.concat([length, b])
  }
  return `ssh-ed25519 ${Buffer.concat([str(Buffer.from('ssh-ed25519')), str(raw)]).toString('base64')} test@host`
}

async function addKey(user: TestUser, line: string) {
  const key = parsePublicKeyLine(line)
  await db()
    .insert(accountTables.userSshKeys)
    .values({ user_uuid: user.uuid, name: `k${Math.random()}`, fingerprint: key.fingerprint, public_key: key.blob })
}

const login = (as: RemoteNode | null, body: Record<string, unknown>) => asNode(t, as, 'POST', '/api/remote/sftp/auth', body)
const password = (user: TestUser, server: string, pass = user.password) => ({
  type: 'password',
  username: `${user.username}.${server}`,
  password: pass,
})

beforeAll(async () => {
  const { admin } = await adminCallers(t, [])
  node = await remoteNode(t, admin)
  other = await remoteNode(t, admin)
  owner = await makeUser(t)
  stranger = await makeUser(t)
  egg = (await makeEgg(t)).uuid
  await t.kernel.settings.update({ 'ratelimits.remote_sftp_auth': { hits: 10_000, window_seconds: 60 } })
}, SETUP_TIMEOUT)

describe('POST /api/remote/sftp/auth', () => {
  test("the owner's password, by short id (any case of the username) or by uuid: * and the setting-given views", async () => {
    const server = await serverOn(t, node, { owner: owner.uuid, egg })
    const res = await login(node, password({ ...owner, username: owner.username.toUpperCase() }, shortId(server)))
    expect(res.status).toBe(200)
    expectModel(SftpGrant, res.body)
    expect(res.body).toEqual({ user: owner.uuid, server: server.uuid, permissions: OWNER, ignored_files: [] })
    expect((await login(node, password(owner, server.uuid))).body.server).toBe(server.uuid)
    await t.kernel.settings.update({ 'server.allow_viewing_installation_logs': false, 'server.allow_viewing_transfer_progress': false })
    try {
      expect((await login(node, password(owner, shortId(server)))).body.permissions).toEqual([...BASE, '*'])
    } finally {
      await t.kernel.settings.update({ 'server.allow_viewing_installation_logs': true, 'server.allow_viewing_transfer_progress': true })
    }
  })

  test("a public key of the user's SSH keys; a key not theirs or not a key is 417", async () => {
    const server = await serverOn(t, node, { owner: owner.uuid, egg })
    const line = publicKeyLine()
    await addKey(owner, line)
    const ok = await login(node, { type: 'public_key', username: `${owner.username}.${shortId(server)}`, password: line })
    expect([ok.status, ok.body.user, ok.body.permissions]).toEqual([200, owner.uuid, OWNER])
    const foreign = await login(node, { type: 'public_key', username: `${owner.username}.${shortId(server)}`, password: publicKeyLine() })
    expect([foreign.status, foreign.body]).toEqual([417, { errors: ['user not found'] }])
    const garbage = await login(node, {
      type: 'public_key',
      username: `${owner.username}.${shortId(server)}`,
      password: 'ssh-ed25519 AAAA',
    })
    expect([garbage.status, garbage.body]).toEqual([417, { errors: ['invalid public key'] }])
  })

  test('a wrong password, an unknown user, a name without a dot: 417', async () => {
    const server = await serverOn(t, node, { owner: owner.uuid, egg })
    expect((await login(node, password(owner, shortId(server), 'wrong'))).body).toEqual({ errors: ['user not found'] })
    expect((await login(node, password({ ...owner, username: 'nobody_here' }, shortId(server)))).status).toBe(417)
    const undotted = await login(node, { type: 'password', username: owner.username, password: owner.password })
    expect([undotted.status, undotted.body]).toEqual([417, { errors: ['invalid username'] }])
  })

  test('a suspended user is refused (417 user is suspended)', async () => {
    const suspended = await makeUser(t, { suspended: true })
    const server = await serverOn(t, node, { owner: suspended.uuid, egg })
    expect((await login(node, password(suspended, shortId(server)))).body).toEqual({ errors: ['user is suspended'] })
  })

  test("someone else's server, an unknown one, a malformed id, another node's: 404 server not found", async () => {
    const server = await serverOn(t, node, { owner: owner.uuid, egg })
    const elsewhere = await serverOn(t, other, { owner: owner.uuid, egg })
    for (const [user, id] of [
      [stranger, shortId(server)],
      [owner, 'ffffffff'],
      [owner, 'zzzzzzzz'],
      [owner, 'abc'],
      [owner, shortId(elsewhere)],
    ] as const) {
      const res = await login(node, password(user, id))
      expect([id, res.status, res.body]).toEqual([id, 404, { errors: ['server not found'] }])
    }
  })

  test('an administrator gets * and the admin views; an admin by role (servers.read) gets the owner list', async () => {
    const server = await serverOn(t, node, { owner: owner.uuid, egg })
    const admin = await makeUser(t, { admin: true })
    expect((await login(node, password(admin, shortId(server)))).body.permissions).toEqual(ADMIN)
    const [role] = await db()
      .insert(userTables.roles)
      .values({ name: `readers_${Math.random()}`, admin_permissions: ['servers.read'] })
      .returning()
    const reader = await makeUser(t, { role_uuid: role.uuid })
    expect((await login(node, password(reader, shortId(server)))).body.permissions).toEqual(OWNER)
  })

  test('a subuser (a server_subusers row) gets their permissions and hidden files', async () => {
    const server = await serverOn(t, node, { owner: owner.uuid, egg })
    const sub = await makeUser(t)
    const grant = { permissions: ['files.read', 'control.read-console', 'file.sftp'], ignored_files: ['*.log'] }
    await t.kernel.database.db.insert(serverSubusers).values({ server_uuid: server.uuid, user_uuid: sub.uuid, ...grant })
    const res = await login(node, password(sub, shortId(server)))
    expect(res.body).toEqual({
      user: sub.uuid,
      server: server.uuid,
      permissions: [...BASE, 'files.read', 'admin.websocket.install', 'admin.websocket.transfer', 'control.read-console', 'file.sftp'],
      ignored_files: ['*.log'],
    })
    expect((await login(node, password(stranger, shortId(server)))).status).toBe(404)
  })

  test('bad bodies are 400; no token 401', async () => {
    for (const body of [
      {},
      { type: 'keyboard', username: 'a.b', password: 'x' },
      { type: 'password', username: '', password: 'x' },
      { type: 'password', username: 'a.b' },
    ]) {
      expect((await login(node, body)).status).toBe(400)
    }
    expect((await login(null, { type: 'password', username: 'a.b', password: 'x' })).status).toBe(401)
  })

  test('the remote_sftp_auth rate limit counts per node', async () => {
    const busy = await remoteNode(t, (await adminCallers(t, [])).admin)
    await t.kernel.settings.update({ 'ratelimits.remote_sftp_auth': { hits: 2, window_seconds: 60 } })
    try {
      const statuses = []
      for (let i = 0; i < 3; i++) statuses.push((await login(busy, password(owner, 'ffffffff'))).status)
      expect(statuses).toEqual([404, 404, 429])
      expect((await login(other, password(owner, 'ffffffff'))).status).toBe(404)
    } finally {
      await t.kernel.settings.update({ 'ratelimits.remote_sftp_auth': { hits: 10_000, window_seconds: 60 } })
    }
  })
})
