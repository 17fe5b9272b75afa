import { describe, expect, test } from 'bun:test'
import { useDouble } from './harness'

const kit = useDouble()
const { call, createServer } = kit

describe('system and node routes', () => {
  test('overview, stats, logs and config carry the shapes the panel reads', async () => {
    const overview = (await call('GET', '/api/system/overview')).json
    expect(Object.keys(overview).sort()).toEqual([
      'architecture',
      'container_type',
      'cpu',
      'kernel_version',
      'local_time',
      'memory',
      'servers',
      'version',
    ])
    expect(Math.abs(Date.parse(overview.local_time) - Date.now())).toBeLessThan(5000)
    expect((await call('GET', '/api/system/stats')).json.stats.memory).toHaveProperty('used_process')
    expect((await call('GET', '/api/system/logs')).json.log_files[0]).toMatchObject({ name: 'wings.log', compression_type: 'none' })
    expect((await call('GET', '/api/system/logs/wings.log?lines=1')).text.split('\n').filter(Boolean)).toHaveLength(1)
    expect((await call('GET', '/api/system/logs/other.log')).status).toBe(404)
    const config = (await call('GET', '/api/system/config')).json
    expect(config).toMatchObject({
      token_id: kit.panel.tokenId,
      token: kit.panel.token,
      remote: kit.panel.url,
      api: { port: kit.wings.port },
    })
  })

  test('the update endpoint applies a patch and refuses paths the panel must strip', async () => {
    expect(await call('POST', '/api/update', { api: { upload_limit: 50 }, debug: true })).toMatchObject({
      status: 200,
      json: { applied: true },
    })
    expect((await call('GET', '/api/system/config')).json).toMatchObject({ debug: true, api: { upload_limit: 50 } })
    const refused = await call('POST', '/api/update', { token: 'x', system: { root_directory: '/' } })
    expect(refused.status).toBe(400)
    expect(kit.wings.problems.some((p) => p.includes('token, system.root_directory'))).toBe(true)
    kit.wings.config.ignore_panel_config_updates = true
    expect((await call('POST', '/api/update', { debug: false })).json).toEqual({ applied: false })
    kit.wings.config.ignore_panel_config_updates = false
  })

  test("used ports list the servers' allocations of each asked IP", async () => {
    const uuid = await createServer()
    const used = (await call('GET', '/api/ports/used?ip=127.0.0.1&ip=10.0.0.1')).json.used
    expect(used['10.0.0.1']).toEqual([])
    expect(used['127.0.0.1']).toContainEqual({ port: 25565, server: uuid })
  })
})
