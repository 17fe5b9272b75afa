import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { eq, sql } from 'drizzle-orm'
import { fromPgError, pgError } from 'hatchery'
import { adminCallers, makeUser, SETUP_TIMEOUT, useTestApp, type AdminCaller } from 'hatchery/testing'
import { tables as allocationTables } from '../allocations'
import { serverAllocations, servers, serverVariables } from './tables'
import { insertServer as insertServerRow, makeEgg, nodeOnDouble, type DoubleNode } from './test-fixtures'

const t = useTestApp()
const db = () => t.kernel.database.db
let admin: AdminCaller
let at: DoubleNode
let egg: { uuid: string; variable: string }
let owner: string

beforeAll(async () => {
  ;({ admin } = await adminCallers(t, []))
  at = await nodeOnDouble(t, admin)
  owner = (await makeUser(t)).uuid
  egg = await makeEgg(t)
  const made = await t.request('POST', `/api/admin/nodes/${at.node.uuid}/allocations`, {
    cookie: admin.cookie,
    body: { ip: '10.0.0.5', ip_alias: null, ports: [25565, 25566] },
  })
  expect(made.body).toEqual({ created: 2 })
}, SETUP_TIMEOUT)
afterAll(() => at?.wings.stop())

const allocations = () =>
  db().select().from(allocationTables.nodeAllocations).where(eq(allocationTables.nodeAllocations.node_uuid, at.node.uuid))

const insertServer = (over: Partial<typeof servers.$inferInsert> = {}) =>
  insertServerRow(t, { node: at.node.uuid, owner, egg: egg.uuid }, over)

const pgErrorOf = (work: Promise<unknown>) =>
  work.then(
    () => null,
    (e) => e,
  )

describe('the servers migration', () => {
  test('a server takes the reference defaults', async () => {
    const row = await insertServer()
    expect(row).toMatchObject({
      status: null,
      suspended: false,
      memory_overhead: 0,
      io_weight: null,
      pinned_cpus: [],
      auto_kill: { enabled: false, seconds: 30 },
      auto_start_behavior: 'unless_stopped',
      timezone: null,
      hugepages_passthrough_enabled: false,
      kvm_passthrough_enabled: false,
      allocation_limit: 0,
      database_limit: 0,
      backup_limit: 0,
      schedule_limit: 0,
      external_id: null,
      allocation_uuid: null,
    })
    expect(row.created).toBeInstanceOf(Date)
  })

  test('allocations: a primary, one server per allocation (409), gone with the server', async () => {
    const [first, second] = await allocations()
    const server = await insertServer({ pinned_cpus: [0, 2] })
    const [claim] = await db().insert(serverAllocations).values({ server_uuid: server.uuid, allocation_uuid: first.uuid }).returning()
    await db().update(servers).set({ allocation_uuid: claim.uuid }).where(eq(servers.uuid, server.uuid))
    await db().insert(serverAllocations).values({ server_uuid: server.uuid, allocation_uuid: second.uuid })
    const other = await insertServer()
    const taken = await pgErrorOf(db().insert(serverAllocations).values({ server_uuid: other.uuid, allocation_uuid: first.uuid }))
    expect(fromPgError(taken)).toMatchObject({ status: 409, messages: ['server with allocation(s) or external id already exists'] })
    await db().insert(serverVariables).values({ server_uuid: server.uuid, variable_uuid: egg.variable, value: 'paper.jar' })
    await db().delete(servers).where(eq(servers.uuid, server.uuid))
    expect(await db().$count(serverAllocations, eq(serverAllocations.server_uuid, server.uuid))).toBe(0)
    expect(await db().$count(serverVariables, eq(serverVariables.server_uuid, server.uuid))).toBe(0)
    expect(await allocations()).toHaveLength(2)
  })

  test('deleting the primary allocation leaves the server without one', async () => {
    const [first] = await allocations()
    const server = await insertServer()
    const [claim] = await db().insert(serverAllocations).values({ server_uuid: server.uuid, allocation_uuid: first.uuid }).returning()
    await db().update(servers).set({ allocation_uuid: claim.uuid }).where(eq(servers.uuid, server.uuid))
    await db().delete(serverAllocations).where(eq(serverAllocations.uuid, claim.uuid))
    expect((await db().select().from(servers).where(eq(servers.uuid, server.uuid)))[0].allocation_uuid).toBeNull()
  })

  test('the node, the owner and the egg cannot be deleted under a server; limits are checked', async () => {
    await insertServer()
    for (const statement of [
      sql`delete from nodes where uuid = ${at.node.uuid}`,
      sql`delete from users where uuid = ${owner}`,
      sql`delete from nest_eggs where uuid = ${egg.uuid}`,
    ]) {
      // PostgreSQL says 23503, PGlite 23001 (restrict_violation); deletion guards answer 409 before either.
      expect(['23503', '23001']).toContain(String(pgError(await pgErrorOf(db().execute(statement)))?.code))
    }
    for (const bad of [{ swap: -2 }, { io_weight: 1001 }, { memory: -1 }, { backup_limit: -1 }]) {
      expect(pgError(await pgErrorOf(insertServer(bad)))?.code).toBe('23514')
    }
  })

  test('uuid_short is unique', async () => {
    const row = await insertServer()
    expect(pgError(await pgErrorOf(insertServer({ uuid_short: row.uuid_short })))?.code).toBe('23505')
  })
})
