import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { eq } from 'drizzle-orm'
import { SETUP_TIMEOUT, useTestApp } from 'hatchery/testing'
import { tables as serverTables } from '../../servers'
import { asNode, remoteNode } from '../../servers/remote/test-kit'
import { backupKit } from '../test-kit'

// s3rver, an S3 double in plain JavaScript, on a loopback port with a temporary directory.
const BUCKET = 'panel-backups'
const dir = mkdtempSync(join(tmpdir(), 'hatchery-backups-s3-'))
let s3: { close(): Promise<void> } | undefined
let endpoint = ''

const t = useTestApp()
const k = backupKit(t)
const settings = () => ({
  access_key: 'S3RVER',
  secret_key: 'S3RVER',
  bucket: BUCKET,
  region: 'us-east-1',
  endpoint,
  path_style: true,
  part_size: 5 * 1024 * 1024,
})

beforeAll(async () => {
  const { default: S3rver } = await import('s3rver')
  const server = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory: dir, configureBuckets: [{ name: BUCKET }] })
  endpoint = `http://127.0.0.1:${(await server.run()).port}`
  s3 = server
}, SETUP_TIMEOUT)

afterAll(async () => {
  await s3?.close()
  rmSync(dir, { recursive: true, force: true })
})

/** A server of the owner whose backups go to `configuration`. */
async function serverWith(configuration: string) {
  const uuid = await k.backupServer()
  await k.db().update(serverTables.servers).set({ backup_configuration_uuid: configuration }).where(eq(serverTables.servers.uuid, uuid))
  return uuid
}

describe('S3 backups (spec 04 §3.2 s3/parts)', () => {
  test('the node uploads to presigned part URLs, the panel completes the upload; restore downloads it; delete removes the object', async () => {
    const uuid = await serverWith(await k.configure({ backup_disk: 's3', backup_configs: { s3: settings() } }))
    const tree = k.at.wings.servers.get(uuid)!.files
    tree.write('world/level.dat', new TextEncoder().encode('the world'))
    const backup = await k.backup(uuid)
    expect(k.at.wings.problems).toEqual([])
    const row = await k.backupRow(backup)
    expect(row).toMatchObject({ successful: true, disk: 's3', upload_path: `${uuid}/${backup}.tar.gz` })
    const stored = await fetch(`${endpoint}/${BUCKET}/${row.upload_path}`)
    expect(stored.status).toBe(200)
    const files = await new Bun.Archive(new Uint8Array(await stored.arrayBuffer())).files()
    expect(await files.get('world/level.dat')?.text()).toBe('the world')

    const url = (await k.call('GET', uuid, `/${backup}/download`)).body.url as string
    expect(url.startsWith(`${endpoint}/${BUCKET}/`)).toBe(true)
    expect((await fetch(url)).status).toBe(200)

    tree.remove('world')
    expect((await k.call('POST', uuid, `/${backup}/restore`, undefined, {})).status).toBe(200)
    await k.at.wings.idle()
    expect(new TextDecoder().decode(tree.get('world/level.dat')!.data)).toBe('the world')
    const restore = k.at.wings.requests.find((r) => r.path === `/api/servers/${uuid}/backup/${backup}/restore`)
    expect((restore?.body as { download_url: string }).download_url.startsWith(endpoint)).toBe(true)

    expect((await k.call('DELETE', uuid, `/${backup}`)).status).toBe(202)
    expect((await k.backupRow(backup)).deleted).not.toBeNull()
    expect((await fetch(`${endpoint}/${BUCKET}/${row.upload_path}`)).status).toBe(404)
  })

  test('s3/parts is 417 for a backup not on S3; another node’s backup is 404', async () => {
    const uuid = await k.backupServer()
    const backup = await k.backup(uuid)
    const node = { credential: '' }
    const token = await t.request('GET', `/api/admin/nodes/${k.at.node.uuid}/token`, { cookie: k.admin.cookie })
    node.credential = `${token.body.token_id}.${token.body.token}`
    const parts = await asNode(t, node as never, 'GET', `/api/remote/backups/${backup}/s3/parts`)
    expect(parts.status).toBe(417)
    const stranger = await remoteNode(t, k.admin)
    const foreign = await asNode(t, stranger, 'GET', `/api/remote/backups/${backup}/s3/parts`)
    expect([foreign.status, foreign.body.errors]).toEqual([404, ['backup not found']])
    expect((await asNode(t, null, 'GET', `/api/remote/backups/${backup}/restic`)).status).toBe(401)
  })
})

describe('GET /api/remote/backups/{backup}/restic', () => {
  test('the repository and its environment in clear for a restic backup; 417 otherwise', async () => {
    const restic = await k.configure({
      backup_disk: 'restic',
      backup_configs: {
        restic: { repository: 's3:https://example.com/repo', retry_lock_seconds: 30, environment: { RESTIC_PASSWORD: 'pw', OTHER: 'x' } },
      },
    })
    const uuid = await serverWith(restic)
    const made = await k.call('POST', uuid, '', undefined, { ignored_files: [] })
    expect(made.status).toBe(200)
    await k.settled(made.body.backup.uuid)
    const token = await t.request('GET', `/api/admin/nodes/${k.at.node.uuid}/token`, { cookie: k.admin.cookie })
    const node = { credential: `${token.body.token_id}.${token.body.token}` }
    const res = await asNode(t, node as never, 'GET', `/api/remote/backups/${made.body.backup.uuid}/restic`)
    expect([res.status, res.body]).toEqual([
      200,
      { repository: 's3:https://example.com/repo', retry_lock_seconds: 30, environment: { RESTIC_PASSWORD: 'pw', OTHER: 'x' } },
    ])
    const local = await k.backup(await k.backupServer())
    expect((await asNode(t, node as never, 'GET', `/api/remote/backups/${local}/restic`)).status).toBe(417)
  })
})

describe('/api/remote/servers/{server}/backups (schedules)', () => {
  test('create answers the adapter and uuid without asking the node; delete and move select by name; reset fails what is incomplete', async () => {
    const uuid = await k.backupServer(10)
    const token = await t.request('GET', `/api/admin/nodes/${k.at.node.uuid}/token`, { cookie: k.admin.cookie })
    const node = { credential: `${token.body.token_id}.${token.body.token}` }
    const made = await asNode(t, node as never, 'POST', `/api/remote/servers/${uuid}/backups`, { name: 'nightly', ignored_files: [] })
    expect(made.status).toBe(200)
    expect(made.body.adapter).toBe('wings')
    expect(k.at.wings.requests.some((r) => r.path === `/api/servers/${uuid}/backup`)).toBe(false)
    const report = {
      checksum: 'ab',
      checksum_type: 'sha1',
      size: 10,
      files: 1,
      successful: true,
      browsable: false,
      streaming: false,
      parts: [],
    }
    expect((await asNode(t, node as never, 'POST', `/api/remote/backups/${made.body.uuid}`, report)).status).toBe(200)
    expect(await k.backupRow(made.body.uuid)).toMatchObject({ successful: true, checksum: 'sha1:ab', bytes: 10 })

    const group = (await k.call('POST', uuid, '/groups', undefined, { name: 'moved' })).body.backup_group.uuid
    const moved = await asNode(t, node as never, 'PATCH', `/api/remote/servers/${uuid}/backups`, {
      backup_name: 'nightly',
      target_backup_group_uuid: group,
    })
    expect([moved.status, moved.body]).toEqual([200, { uuid: made.body.uuid }])
    expect((await k.backupRow(made.body.uuid)).backup_group_uuid).toBe(group)

    const pending = await asNode(t, node as never, 'POST', `/api/remote/servers/${uuid}/backups`, { ignored_files: [] })
    expect((await asNode(t, node as never, 'POST', '/api/remote/servers/reset')).status).toBe(200)
    expect(await k.backupRow(pending.body.uuid)).toMatchObject({ successful: false })
    expect((await k.backupRow(pending.body.uuid)).completed).not.toBeNull()

    k.at.wings.backups.delete(made.body.uuid)
    const deleted = await asNode(t, node as never, 'DELETE', `/api/remote/servers/${uuid}/backups`, {
      backup_name: 'nightly',
      oldest: true,
    })
    expect([deleted.status, deleted.body]).toEqual([200, { uuid: made.body.uuid }])
    expect((await k.backupRow(made.body.uuid)).deleted).not.toBeNull()
    const none = await asNode(t, node as never, 'DELETE', `/api/remote/servers/${uuid}/backups`, { backup_name: 'nightly' })
    expect([none.status, none.body.errors]).toEqual([404, ['backup not found']])
  })

  test('the configuration document lists the server’s backups', async () => {
    const uuid = await k.backupServer()
    const backup = await k.backup(uuid)
    const token = await t.request('GET', `/api/admin/nodes/${k.at.node.uuid}/token`, { cookie: k.admin.cookie })
    const doc = await asNode(t, { credential: `${token.body.token_id}.${token.body.token}` } as never, 'GET', `/api/remote/servers/${uuid}`)
    expect(doc.body.settings.backups).toEqual([backup])
  })
})
