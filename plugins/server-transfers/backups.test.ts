// Backups travel with a transfer (spec 04 §3 `transfer/success`): the source node sends the listed
// backups it stores, the destination reports those it received, and the panel moves them (and the
// server's shared backups) to the destination, where they can be restored.
import { beforeAll, describe, expect, test } from 'bun:test'
import { eq } from 'drizzle-orm'
import { relaxRateLimits, SETUP_TIMEOUT, useTestApp } from 'hatchery/testing'
import { tables as nodeTables } from '../nodes'
import { tables as backupTables } from '../server-backups'
import { transferKit } from './test-kit'

const t = useTestApp()
const k = transferKit(t)
const b = backupTables.serverBackups
const bearer: Record<string, string> = {}
const text = (bytes: Uint8Array | undefined) => (bytes ? new TextDecoder().decode(bytes) : undefined)

beforeAll(async () => {
  await relaxRateLimits(t)
  await t.kernel.settings.update({ 'ratelimits.client_servers_backups_create': { hits: 100_000, window_seconds: 60 } })
  const res = await t.request('POST', '/api/admin/backup-configurations', {
    cookie: k.who.admin.cookie,
    body: { name: 'transfers', maintenance_enabled: false, shared: false, backup_disk: 'local', backup_configs: {} },
  })
  expect(res.status).toBe(200)
  await k
    .db()
    .update(nodeTables.nodes)
    .set({ backup_configuration_uuid: res.body.backup_configuration.uuid })
    .where(eq(nodeTables.nodes.uuid, k.src.node.uuid))
  for (const node of [k.src.node.uuid, k.dst.node.uuid]) {
    const token = await t.request('GET', `/api/admin/nodes/${node}/token`, { cookie: k.who.admin.cookie })
    bearer[node] = `${token.body.token_id}.${token.body.token}`
  }
}, SETUP_TIMEOUT)

const backupRow = async (uuid: string) => (await k.db().select().from(b).where(eq(b.uuid, uuid)))[0]

/** A finished backup of the server, made through the client API and reported by the source node. */
async function backup(server: string): Promise<string> {
  const res = await t.request('POST', `/api/client/servers/${server}/backups`, { cookie: k.owner.cookie, body: { ignored_files: [] } })
  expect(res.status).toBe(200)
  const uuid = res.body.backup.uuid as string
  for (let i = 0; i < 250 && !(await backupRow(uuid))?.completed; i++) await Bun.sleep(20)
  await k.src.wings.idle()
  expect((await backupRow(uuid)).successful).toBe(true)
  return uuid
}

const share = (uuid: string) => k.db().update(b).set({ shared: true }).where(eq(b.uuid, uuid))
const nodesOf = async (...uuids: string[]) => Promise.all(uuids.map(async (u) => (await backupRow(u)).node_uuid))

describe('POST /api/admin/servers/{server}/transfer with backups', () => {
  test('the listed backups and the shared ones move to the destination, the others stay; a moved backup restores there', async () => {
    const uuid = await k.server(undefined, 5)
    const [listed, unlisted, shared] = [await backup(uuid), await backup(uuid), await backup(uuid)]
    await share(shared)
    const res = await t.request('POST', `/api/admin/servers/${uuid}/transfer`, {
      cookie: k.who.limited.cookie,
      body: await k.body(0, { backups: [listed], delete_source_backups: true }),
    })
    expect(res.status).toBe(202)
    await k.settle()
    expect((await k.row(uuid)).node_uuid).toBe(k.dst.node.uuid)
    expect(await nodesOf(listed, unlisted, shared)).toEqual([k.dst.node.uuid, k.src.node.uuid, k.dst.node.uuid])
    // The archive went along, and the source deleted its copy (`delete_source_backups`).
    expect(k.dst.wings.backups.get(listed)?.server).toBe(uuid)
    expect(k.src.wings.backups.has(listed)).toBe(false)
    expect(k.src.wings.backups.has(unlisted)).toBe(true)
    expect(k.src.wings.problems.concat(k.dst.wings.problems)).toEqual([])

    const list = await t.request('GET', `/api/client/servers/${uuid}/backups`, { cookie: k.owner.cookie })
    expect(list.status).toBe(200)
    expect(list.body.backups.data.map((x: { uuid: string }) => x.uuid).sort()).toEqual([listed, shared].sort())

    const moved = k.dst.wings.servers.get(uuid)!
    moved.files.write('world/level.dat', new TextEncoder().encode('changed'))
    const restore = await t.request('POST', `/api/client/servers/${uuid}/backups/${listed}/restore`, {
      cookie: k.owner.cookie,
      body: { truncate_directory: true },
    })
    expect(restore.status).toBe(200)
    await k.dst.wings.idle()
    expect((await k.row(uuid)).status).toBeNull()
    expect(text(moved.files.get('world/level.dat')?.data)).toBe('level')
  })

  test('without delete_source_backups the source keeps its copy', async () => {
    const uuid = await k.server(undefined, 5)
    const kept = await backup(uuid)
    expect(
      (
        await t.request('POST', `/api/admin/servers/${uuid}/transfer`, {
          cookie: k.who.limited.cookie,
          body: await k.body(0, { backups: [kept] }),
        })
      ).status,
    ).toBe(202)
    await k.settle()
    expect(await nodesOf(kept)).toEqual([k.dst.node.uuid])
    expect(k.src.wings.backups.has(kept)).toBe(true)
    expect(k.dst.wings.backups.has(kept)).toBe(true)
  })
})

describe('POST /api/remote/servers/{server}/transfer/success with backups', () => {
  const report = (uuid: string, node: string, body: unknown) =>
    t.request('POST', `/api/remote/servers/${uuid}/transfer/success`, { token: bearer[node], body })

  test('backup_migrations are applied; bad input is 400 and a report from the source 417, nothing moved', async () => {
    const uuid = await k.server(undefined, 5)
    const [a, other] = [await backup(uuid), await backup(uuid)]
    const before = await backupRow(a)
    const heal = k.dst.wings.fail({ kind: 'slow', ms: 1_000, route: 'POST /api/transfers' })
    expect(
      (await t.request('POST', `/api/admin/servers/${uuid}/transfer`, { cookie: k.who.admin.cookie, body: await k.body() })).status,
    ).toBe(202)
    const migration = { checksum: 'abc123', checksum_type: 'sha256', browsable: true, streaming: true, adapter: 's3' }
    for (const bad of [
      { backups: ['not-a-uuid'] },
      { backups: [a], backup_migrations: { 'not-a-uuid': migration } },
      { backups: [a], backup_migrations: { [a]: { ...migration, adapter: 'floppy' } } },
      { backups: [a], backup_migrations: { [a]: { ...migration, checksum: '' } } },
    ]) {
      const res = await report(uuid, k.dst.node.uuid, bad)
      expect(res.status).toBe(400)
      expect(res.body.errors.length).toBeGreaterThan(0)
    }
    const wrong = await report(uuid, k.src.node.uuid, { backups: [a], backup_migrations: { [a]: migration } })
    expect(wrong.status).toBe(417)
    expect(await backupRow(a)).toEqual(before)
    expect((await k.row(uuid)).destination_node_uuid).toBe(k.dst.node.uuid)

    const ok = await report(uuid, k.dst.node.uuid, { backups: [a.toUpperCase()], backup_migrations: { [a.toUpperCase()]: migration } })
    expect([ok.status, ok.body]).toEqual([200, {}])
    expect(await backupRow(a)).toEqual({
      ...before,
      node_uuid: k.dst.node.uuid,
      checksum: 'sha256:abc123',
      browsable: true,
      streaming: true,
      disk: 's3',
    })
    expect(await nodesOf(other)).toEqual([k.src.node.uuid])
    await k.settle()
    heal()
  })

  test('a migration without an adapter keeps the disk', async () => {
    const uuid = await k.server(undefined, 5)
    const a = await backup(uuid)
    const heal = k.dst.wings.fail({ kind: 'slow', ms: 1_000, route: 'POST /api/transfers' })
    expect(
      (await t.request('POST', `/api/admin/servers/${uuid}/transfer`, { cookie: k.who.admin.cookie, body: await k.body() })).status,
    ).toBe(202)
    const ok = await report(uuid, k.dst.node.uuid, {
      backups: [a],
      backup_migrations: { [a]: { checksum: 'ff', checksum_type: 'sha1', browsable: false, streaming: false, adapter: null } },
    })
    expect(ok.status).toBe(200)
    const row = await backupRow(a)
    expect([row.node_uuid, row.checksum, row.disk]).toEqual([k.dst.node.uuid, 'sha1:ff', 'local'])
    await k.settle()
    heal()
  })
})

describe('POST /api/admin/nodes/{node}/servers/transfer with transfer_backups', () => {
  const mass = (uuid: string, transfer_backups: boolean) =>
    t.request('POST', `/api/admin/nodes/${k.src.node.uuid}/servers/transfer`, {
      cookie: k.who.limited.cookie,
      body: {
        servers: { type: 'uuids', uuids: [uuid] },
        node_uuid: k.dst.node.uuid,
        allocation_mode: 'random_primary',
        transfer_backups,
        delete_source_backups: false,
        archive_format: 'tar_gz',
        multiplex_channels: 0,
      },
    })

  test("true: the server's backups go along; false: they stay on the source", async () => {
    const along = await k.server(undefined, 5)
    const [x, y] = [await backup(along), await backup(along)]
    const behind = await k.server(undefined, 5)
    const z = await backup(behind)
    expect((await mass(along, true)).body).toEqual({ affected: 1 })
    expect((await mass(behind, false)).body).toEqual({ affected: 1 })
    await k.settle()
    expect([(await k.row(along)).node_uuid, (await k.row(behind)).node_uuid]).toEqual([k.dst.node.uuid, k.dst.node.uuid])
    expect(await nodesOf(x, y, z)).toEqual([k.dst.node.uuid, k.dst.node.uuid, k.src.node.uuid])
    expect(k.dst.wings.backups.has(x) && k.dst.wings.backups.has(y)).toBe(true)
    expect(k.dst.wings.backups.has(z)).toBe(false)
  })
})
