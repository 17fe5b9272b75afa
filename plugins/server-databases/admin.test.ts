/**
 * The admin routes of server databases, and what deleting a host does to them, against this
 * machine's MariaDB (skipped, saying so, without it).
 */
import { describe, expect, test } from 'bun:test'
import { adminEvents, expectModel, expectRoutesGuarded, useTestApp } from 'hatchery/testing'
import { freePort } from '../database-hosts/test-hosts'
import { AdminServerDatabase, AdminServerServerDatabase } from './model'
import { databaseKit } from './test-kit'

const t = useTestApp()
const k = databaseKit(t)
const adm = () => ({ cookie: k.admin.cookie })
type Db = { uuid: string; name: string; username: string; password: string }

async function create(server: string, host: string, name = `db_${Math.random().toString(36).slice(2, 8)}`) {
  const res = await k.call('POST', server, '', { cookie: k.owner.cookie }, { database_host_uuid: host, name })
  expect(res.status).toBe(200)
  return res.body.database as Db
}
const hostDelete = (host: string, db: string, body: unknown) =>
  t.request('DELETE', `/api/admin/database-hosts/${host}/databases/${db}`, { ...adm(), body })

test('every admin route of server-databases is guarded', async () => {
  const routes = await expectRoutesGuarded(t, {
    namespace: 'admin',
    plugin: 'server-databases',
    bodies: { 'DELETE /api/admin/database-hosts/:database_host/databases/:database': { force: false } },
  })
  expect(routes.length).toBe(3)
})

describe('GET /api/admin/database-hosts/{database_host}/databases and /api/admin/servers/{server}/databases', () => {
  test('list with the server, or with the host; passwords in clear', async () => {
    if (k.skipped()) return
    const [server, host] = [await k.serverWith(2), await k.host()]
    const d = await create(server, host.uuid)
    const byHost = await t.request('GET', `/api/admin/database-hosts/${host.uuid}/databases`, adm())
    expect(byHost.status).toBe(200)
    expect(byHost.body.databases.total).toBe(1)
    expectModel(AdminServerDatabase, byHost.body.databases.data[0])
    expect(byHost.body.databases.data[0]).toMatchObject({ uuid: d.uuid, password: d.password, server: { uuid: server } })
    const byServer = await t.request('GET', `/api/admin/servers/${server}/databases?search=${d.name}`, adm())
    expect(byServer.status).toBe(200)
    expectModel(AdminServerServerDatabase, byServer.body.databases.data[0])
    expect(byServer.body.databases.data[0]).toMatchObject({ uuid: d.uuid, password: d.password, database_host: { uuid: host.uuid } })
    expect(byServer.body.databases.data[0].database_host.credentials.password).toBe('')
    expect((await t.request('GET', `/api/admin/servers/nope/databases`, adm())).status).toBe(400)
    expect((await t.request('GET', `/api/admin/database-hosts/00000000-0000-4000-8000-000000000000/databases`, adm())).status).toBe(404)
  })
})

describe('DELETE /api/admin/database-hosts/{database_host}/databases/{database}', () => {
  test('drops it on the host; locked 417 unless force; bad uuid 400; unknown 404; force is required', async () => {
    if (k.skipped()) return
    const [server, host] = [await k.serverWith(2), await k.host()]
    const d = await create(server, host.uuid)
    expect((await hostDelete(host.uuid, d.uuid, {})).status).toBe(400)
    expect((await hostDelete(host.uuid, 'nope', { force: false })).body.errors).toEqual(['invalid database uuid'])
    expect((await hostDelete((await k.host()).uuid, d.uuid, { force: false })).status).toBe(404)
    await k.call('PATCH', server, `/${d.uuid}`, { cookie: k.owner.cookie }, { locked: true })
    const locked = await hostDelete(host.uuid, d.uuid, { force: false })
    expect([locked.status, locked.body.errors]).toEqual([417, ['database is locked and cannot be deleted']])
    expect((await hostDelete(host.uuid, d.uuid, { force: true })).status).toBe(200)
    expect(await k.exists(d.name)).toBe(false)
    expect((await adminEvents(t, k.admin, 'database-host:database.delete')).map((e) => e.data)).toContainEqual({
      uuid: d.uuid,
      database_host_uuid: host.uuid,
      name: d.name,
    })
    const other = await create(server, host.uuid)
    expect((await hostDelete(host.uuid, other.uuid, { force: false })).status).toBe(200)
    expect(await k.exists(other.name)).toBe(false)
  })

  test('a host that cannot be reached: 417 failed to delete database, the row kept; with force the row goes', async () => {
    if (k.skipped()) return
    const [server, host] = [await k.serverWith(1), await k.host()]
    const d = await create(server, host.uuid)
    const closed = { type: 'details', host: '127.0.0.1', port: await freePort(), username: 'u', password: 'p' }
    expect((await t.request('PATCH', `/api/admin/database-hosts/${host.uuid}`, { ...adm(), body: { credentials: closed } })).status).toBe(
      200,
    )
    const res = await hostDelete(host.uuid, d.uuid, { force: false })
    expect(res.status).toBe(417)
    expect(res.body.errors[0]).toStartWith(`failed to delete database: database host ${host.name} is unreachable`)
    expect((await k.call('GET', server, `/${d.uuid}`, { cookie: k.owner.cookie })).status).toBe(200)
    expect((await hostDelete(host.uuid, d.uuid, { force: true })).status).toBe(200)
    expect((await k.call('GET', server, `/${d.uuid}`, { cookie: k.owner.cookie })).status).toBe(404)
  })
})

describe('DELETE /api/admin/database-hosts/{database_host} with server databases', () => {
  test('409 without force; with force its databases are dropped first', async () => {
    if (k.skipped()) return
    const [server, host] = [await k.serverWith(2), await k.host()]
    const [a, b] = [await create(server, host.uuid), await create(server, host.uuid)]
    const refused = await t.request('DELETE', `/api/admin/database-hosts/${host.uuid}`, { ...adm(), body: { force: false } })
    expect([refused.status, refused.body.errors]).toEqual([409, ['database host has databases, cannot delete']])
    expect(await k.exists(a.name)).toBe(true)
    expect((await t.request('DELETE', `/api/admin/database-hosts/${host.uuid}`, { ...adm(), body: { force: true } })).status).toBe(200)
    expect([await k.exists(a.name), await k.exists(b.name)]).toEqual([false, false])
    expect((await k.call('GET', server, '', { cookie: k.owner.cookie })).body.databases.total).toBe(0)
  })
})
