// The panel and a Wings node as two processes, as they run in production: the panel (`src/main.ts`)
// with its CLI, and the Wings double (`tools/wings-double/main.ts`) holding the token `panel nodes
// create` printed. A server goes through its whole life; then the node goes down, slow and
// answers garbage, and every step must fail cleanly within its deadline, leaving nothing half-made.
import { describe, expect, setDefaultTimeout, test } from 'bun:test'
import { api, location, node, onNode, panel, serverBody, startWings, stopWings, until, useTwoProcesses } from './helpers/two-processes'

setDefaultTimeout(90_000)

/** The panel's whole-call deadline for Wings (spec 04 §1.4), and what a caller may wait beyond it. */
const WINGS_DEADLINE_MS = 15_000
const SLACK_MS = 5_000

useTwoProcesses()

let port = 25565
/** A free allocation of the node (made through the API), for one server. */
async function allocation(): Promise<string> {
  const p = port++
  const made = await api('POST', `/api/admin/nodes/${node.uuid}/allocations`, { ip: '127.0.0.1', ports: [p] })
  expect(made.status).toBe(200)
  const list = await api('GET', `/api/admin/nodes/${node.uuid}/allocations?port_from=${p}&port_to=${p}`)
  return list.body.allocations.data[0].uuid
}

/** Nothing of a failed create remains: no server by that name, the allocation free. */
async function nothingHalfMade(name: string, allocationUuid: string): Promise<void> {
  expect((await api('GET', `/api/admin/servers?search=${name}`)).body.servers.total).toBe(0)
  const list = await api('GET', `/api/admin/nodes/${node.uuid}/allocations?per_page=100`)
  const row = list.body.allocations.data.find((a: any) => a.uuid === allocationUuid)
  expect(row.server).toBeNull()
}

describe('a server through its life, panel and node as separate processes', () => {
  test('deployed from the Paper egg for a user → the node fetches its configuration and reports the install → suspended and back (each synced) → deleted', async () => {
    // Deployed: the panel picks the node of the location, and (no allocation given, no egg
    // configuration rules) one free allocation of it as the primary.
    const a = await allocation()
    const { node_uuid: _node, allocation_uuid: _a, ...body } = serverBody('e2e-survival', a)
    const created = await api('POST', '/api/admin/servers/deploy', {
      ...body,
      deployment: { location_uuids: [location], allow_overallocation: false },
    })
    expect(created.status).toBe(200)
    expect(created.body.server.node.uuid).toBe(node.uuid)
    expect(created.body.server.allocation.uuid).toBeString()
    const uuid = created.body.server.uuid as string
    // The node fetched the configuration from /api/remote before answering, and runs the installer.
    expect((await onNode(`/api/servers/${uuid}`)).status).toBe(200)
    const installed = await until('the install report', async () => {
      const s = (await api('GET', `/api/admin/servers/${uuid}`)).body.server
      return s.status === null ? s : undefined
    })
    expect(installed.allocation.port).toBe(port - 1)

    expect((await api('PATCH', `/api/admin/servers/${uuid}`, { suspended: true })).status).toBe(200)
    await until('the suspension on the node', async () =>
      (await onNode(`/api/servers/${uuid}`)).body?.is_suspended === true ? true : undefined,
    )
    expect((await api('PATCH', `/api/admin/servers/${uuid}`, { suspended: false })).status).toBe(200)
    await until('the unsuspension on the node', async () =>
      (await onNode(`/api/servers/${uuid}`)).body?.is_suspended === false ? true : undefined,
    )

    const deleted = await api('DELETE', `/api/admin/servers/${uuid}`, {})
    expect(deleted.status).toBe(200)
    expect((await onNode(`/api/servers/${uuid}`)).status).toBe(404)
    expect((await api('GET', `/api/admin/servers/${uuid}`)).status).toBe(404)
  })
})

describe('the node failing: every step fails cleanly within its deadline', () => {
  const cases: [string, string[], number][] = [
    ['down', ['down'], 8_000],
    ['slow past the deadline', ['slow=30000@POST /api/servers'], WINGS_DEADLINE_MS + SLACK_MS],
    ['answering an HTML page', ['html@POST /api/servers'], 8_000],
    ['answering a 500', ['status=500@POST /api/servers'], 8_000],
  ]
  for (const [label, faults, within] of cases) {
    test(`creating a server while the node is ${label}: 502, and nothing half-made`, async () => {
      if (faults[0] === 'down') await stopWings()
      else await startWings(faults)
      const a = await allocation()
      const name = `e2e-${label.split(' ')[0]}`
      const res = await api('POST', '/api/admin/servers', serverBody(name, a))
      expect([res.status, res.body.errors]).toEqual([502, [`node ${node.name} is unreachable`]])
      expect(res.ms).toBeLessThan(within)
      await nothingHalfMade(name, a)
    })
  }

  test('with the node down: suspending answers at once (the node takes it on boot), deleting is refused unless forced', async () => {
    await startWings()
    const a = await allocation()
    const created = await api('POST', '/api/admin/servers', { ...serverBody('e2e-orphan', a), skip_installer: true })
    expect(created.status).toBe(200)
    const uuid = created.body.server.uuid as string
    await stopWings()
    const suspended = await api('PATCH', `/api/admin/servers/${uuid}`, { suspended: true })
    expect(suspended.status).toBe(200)
    expect(suspended.ms).toBeLessThan(8_000)
    const refused = await api('DELETE', `/api/admin/servers/${uuid}`, {})
    expect([refused.status, refused.body.errors]).toEqual([502, [`node ${node.name} is unreachable`]])
    expect(refused.ms).toBeLessThan(8_000)
    expect((await api('GET', `/api/admin/servers/${uuid}`)).status).toBe(200)
    const forced = await api('DELETE', `/api/admin/servers/${uuid}`, { force: true })
    expect(forced.status).toBe(200)
    expect((await api('GET', `/api/admin/servers/${uuid}`)).status).toBe(404)
    // The panel process survived all of it.
    expect((await fetch(`${panel.url}/api/settings`)).status).toBe(200)
  })
})
