import { beforeAll, describe, expect, test } from 'bun:test'
import { useTestApp } from 'hatchery/testing'
import { transferKit } from './test-kit'

const t = useTestApp()
const k = transferKit(t)
const bearer: Record<string, string> = {}

beforeAll(async () => {
  for (const node of [k.src.node.uuid, k.dst.node.uuid]) {
    const res = await t.request('GET', `/api/admin/nodes/${node}/token`, { cookie: k.who.admin.cookie })
    bearer[node] = `${res.body.token_id}.${res.body.token}`
  }
})

const report = (uuid: string, outcome: string, node: string, body: unknown = { backups: [] }) =>
  t.request('POST', `/api/remote/servers/${uuid}/transfer/${outcome}`, { token: bearer[node], body })

/** A server whose transfer the destination refuses (503): the source reports the failure itself. */
async function refused(): Promise<{ uuid: string; heal: () => void }> {
  const uuid = await k.server()
  const heal = k.dst.wings.fail({ kind: 'status', status: 503, route: 'POST /api/transfers' })
  const res = await t.request('POST', `/api/admin/servers/${uuid}/transfer`, { cookie: k.who.admin.cookie, body: await k.body(1) })
  expect(res.status).toBe(202)
  return { uuid, heal }
}

describe('POST /api/remote/servers/{server}/transfer/success', () => {
  test('from the destination: the server moves; from the source: 417; when not transferring: 409', async () => {
    const uuid = await k.server()
    const heal = k.dst.wings.fail({ kind: 'slow', ms: 1_000, route: 'POST /api/transfers' })
    expect(
      (await t.request('POST', `/api/admin/servers/${uuid}/transfer`, { cookie: k.who.admin.cookie, body: await k.body(1) })).status,
    ).toBe(202)
    const wrong = await report(uuid, 'success', k.src.node.uuid)
    expect([wrong.status, wrong.body.errors]).toEqual([417, ['server is not being transferred to this node']])
    const ok = await report(uuid, 'success', k.dst.node.uuid)
    expect([ok.status, ok.body]).toEqual([200, {}])
    const row = await k.row(uuid)
    expect([row.node_uuid, row.destination_node_uuid]).toEqual([k.dst.node.uuid, null])
    expect(await k.held(uuid)).toEqual({ [k.dst.node.uuid]: 2 })
    const late = await report(uuid, 'success', k.dst.node.uuid)
    expect([late.status, late.body.errors]).toEqual([409, ['server is not being transferred']])
    await k.settle()
    heal()
  })

  test('another node, or no token: 404 / 401', async () => {
    const uuid = await k.server()
    expect((await report(uuid, 'success', k.dst.node.uuid)).status).toBe(404)
    expect((await t.request('POST', `/api/remote/servers/${uuid}/transfer/success`, { body: {} })).status).toBe(401)
  })
})

describe('POST /api/remote/servers/{server}/transfer/failure', () => {
  test('from the source when the destination refuses: the transfer is cleared, the server stays; then 409', async () => {
    const { uuid, heal } = await refused()
    await k.settle()
    heal()
    const row = await k.row(uuid)
    expect([row.node_uuid, row.destination_node_uuid]).toEqual([k.src.node.uuid, null])
    expect(await k.held(uuid)).toEqual({ [k.src.node.uuid]: 1 })
    expect(k.src.wings.callbacks.map((c) => [c.path, c.status])).toContainEqual([`/api/remote/servers/${uuid}/transfer/failure`, 200])
    const again = await report(uuid, 'failure', k.src.node.uuid)
    expect([again.status, again.body.errors]).toEqual([409, ['server is not being transferred']])
    expect(await k.failures(uuid)).toEqual([{ destination_node_uuid: k.dst.node.uuid, reason: 'reported' }])
  })
})
