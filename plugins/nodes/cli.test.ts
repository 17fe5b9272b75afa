import { beforeAll, describe, expect, test } from 'bun:test'
import { parse } from 'yaml'
import { adminCallers, adminEvents, runCli, SETUP_TIMEOUT, useTestApp, type AdminCaller } from 'hatchery/testing'

const t = useTestApp()
let admin: AdminCaller
let location: { uuid: string; name: string }

beforeAll(async () => {
  ;({ admin } = await adminCallers(t, ['nodes.read']))
  const res = await t.request('POST', '/api/admin/locations', { cookie: admin.cookie, body: { name: 'cli-location' } })
  location = res.body.location
}, SETUP_TIMEOUT)

const tokenOf = async (uuid: string) => (await t.request('GET', `/api/admin/nodes/${uuid}/token`, { cookie: admin.cookie })).body

describe('panel nodes', () => {
  test('create prints the node, its token and the join configuration; logs node:create as the system', async () => {
    const res = await runCli(t, [
      'nodes',
      'create',
      '--name',
      'cli-node',
      '--location',
      location.name,
      '--url',
      'https://wings.example.com:8443',
      '--sftp-port',
      '2222',
      '--memory',
      '1024',
    ])
    expect(res.code).toBe(0)
    const [node] = (await t.request('GET', '/api/admin/nodes?search=cli-node', { cookie: admin.cookie })).body.nodes.data
    expect(node).toMatchObject({ name: 'cli-node', url: 'https://wings.example.com:8443/', sftp_port: 2222, memory: 1024, disk: 0 })
    const secret = await tokenOf(node.uuid)
    expect(res.stdout).toContain(node.uuid)
    expect(res.stdout).toContain(`token: ${secret.token}`)
    const yamlPart = res.stdout.slice(res.stdout.indexOf('uuid:'))
    expect(parse(yamlPart)).toMatchObject({
      uuid: node.uuid,
      token: secret.token,
      api: { port: 8443 },
      system: { sftp: { bind_port: 2222 } },
    })
    const [event] = await adminEvents(t, admin, 'node:create')
    expect(event.data).toMatchObject({ uuid: node.uuid, name: 'cli-node', source: 'cli' })
    expect(JSON.stringify(event)).not.toContain(secret.token)

    const json = await runCli(t, [
      'nodes',
      'create',
      '--name',
      'cli-node-2',
      '--location',
      location.uuid,
      '--url',
      'http://10.0.0.2',
      '--json',
    ])
    expect(json.code).toBe(0)
    const out = JSON.parse(json.stdout)
    expect(out.node.location.uuid).toBe(location.uuid)
    expect(out.join).toMatchObject({ token: out.token, token_id: out.token_id, api: { port: 8080 }, system: { sftp: { bind_port: 2022 } } })
  })

  test('create refuses bad input and an unknown location', async () => {
    expect((await runCli(t, ['nodes', 'create', '--name', 'x', '--location', 'nowhere', '--url', 'https://a.example.com'])).code).toBe(1)
    expect((await runCli(t, ['nodes', 'create', '--name', 'x', '--location', location.name, '--url', 'nope'])).code).toBe(1)
    expect(
      (
        await runCli(t, [
          'nodes',
          'create',
          '--name',
          'x',
          '--location',
          location.name,
          '--url',
          'https://a.example.com',
          '--sftp-port',
          '0',
        ])
      ).code,
    ).toBe(1)
    expect((await runCli(t, ['nodes', 'create', '--name', 'x', '--location', location.name])).code).toBe(2)
  })

  test('reset-token (by name or uuid) prints the new token; join prints YAML or JSON', async () => {
    const created = JSON.parse(
      (await runCli(t, ['nodes', 'create', '--name', 'cli-reset', '--location', location.uuid, '--url', 'https://r.example.com', '--json']))
        .stdout,
    )
    const res = await runCli(t, ['nodes', 'reset-token', 'cli-reset'])
    expect(res.code).toBe(0)
    const secret = await tokenOf(created.node.uuid)
    expect(secret.token).not.toBe(created.token)
    expect(res.stdout).toContain(`token: ${secret.token}`)
    const [event] = await adminEvents(t, admin, 'node:reset-token')
    expect(event.data).toEqual({ node_uuid: created.node.uuid, source: 'cli' })

    const yaml = await runCli(t, ['nodes', 'join', created.node.uuid])
    expect(yaml.code).toBe(0)
    const remote = new URL(await t.kernel.settings.get('app.url')).origin
    expect(parse(yaml.stdout)).toEqual({
      uuid: created.node.uuid,
      token_id: secret.token_id,
      token: secret.token,
      api: { port: 8080, disable_openapi_docs: true, upload_limit: 0 },
      system: { sftp: { bind_port: 2022 } },
      remote,
    })
    const json = await runCli(t, ['nodes', 'join', 'cli-reset', '--format', 'json'])
    expect(JSON.parse(json.stdout)).toEqual(parse(yaml.stdout))
    expect((await runCli(t, ['nodes', 'join', 'no-such-node'])).code).toBe(1)
    expect((await runCli(t, ['nodes', 'join', 'cli-reset', '--format', 'toml'])).code).toBe(1)
  })
})
