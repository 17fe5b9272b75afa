import { beforeAll, describe, expect, test } from 'bun:test'
import { eq } from 'drizzle-orm'
import {
  adminCallers,
  adminEvents,
  expectGuarded,
  expectModel,
  expectRoutesGuarded,
  SETUP_TIMEOUT,
  useTestApp,
  type AdminCaller,
} from 'hatchery/testing'
import { Empty } from 'hatchery'
import { BackupConfiguration, BackupStats } from './model'
import { backupConfigurations } from './tables'

const t = useTestApp()
let admin: AdminCaller
let plain: AdminCaller
let reader: AdminCaller
let readerKey: string

beforeAll(async () => {
  ;({ admin, plain, limited: reader, limitedKey: readerKey } = await adminCallers(t, ['backup-configurations.read']))
}, SETUP_TIMEOUT)

const MASK = '********'
const uniq = (p = 'bc') => `${p}_${Math.random().toString(36).slice(2, 9)}`
const s3 = (over: Record<string, unknown> = {}) => ({
  access_key: 'AKIA',
  secret_key: 's3-secret',
  bucket: 'b',
  region: 'eu',
  endpoint: 'https://s3.example.com',
  path_style: true,
  part_size: 1048576,
  ...over,
})
const body = (over: Record<string, unknown> = {}) => ({
  name: uniq(),
  description: 'Nightly',
  maintenance_enabled: false,
  shared: true,
  backup_disk: 's3',
  backup_configs: {
    s3: s3(),
    restic: { repository: 's3:bucket/restic', retry_lock_seconds: 30, environment: { RESTIC_PASSWORD: 'rp', AWS_ACCESS_KEY_ID: 'id' } },
    pbs: {
      url: 'https://pbs.example.com:8007',
      datastore: 'ds',
      token_id: 'root@pam!panel',
      token_secret: 'pbs-secret',
      fingerprint: 'AA:'.repeat(31) + 'AA',
    },
    kopia: { url: 'https://kopia.example.com', username: 'panel@host', password: 'kp', tags: { env: 'prod' } },
  },
  ...over,
})

async function make(over: Record<string, unknown> = {}) {
  const res = await t.request('POST', '/api/admin/backup-configurations', { cookie: admin.cookie, body: body(over) })
  expect(res.status).toBe(200)
  return res.body.backup_configuration as { uuid: string; name: string }
}
const stored = async (uuid: string) =>
  (await t.kernel.database.db.select().from(backupConfigurations).where(eq(backupConfigurations.uuid, uuid)))[0]
const NO_SUCH = '00000000-0000-4000-8000-000000000000'

test('every route is guarded', async () => {
  await expectRoutesGuarded(t, { namespace: 'admin', plugin: 'backup-configurations', admin })
})

describe('POST /api/admin/backup-configurations', () => {
  test('creates, stores secrets encrypted, answers them masked, logs backup-configuration:create', async () => {
    const res = await t.request('POST', '/api/admin/backup-configurations', { cookie: admin.cookie, body: body({ name: 'primary-s3' }) })
    expect(res.status).toBe(200)
    const bc = res.body.backup_configuration
    expectModel(BackupConfiguration, bc)
    expect(bc.backup_configs.s3).toMatchObject({ secret_key: MASK, access_key: 'AKIA', compression_type: 'gz' })
    expect(bc.backup_configs.restic.environment).toEqual({ RESTIC_PASSWORD: MASK, AWS_ACCESS_KEY_ID: 'id' })
    expect(bc.backup_configs.restic.prune_jobs).toEqual([])
    expect(bc.backup_configs.pbs).toMatchObject({
      token_secret: MASK,
      fingerprint: 'aa'.repeat(32),
      namespace: null,
      backup_id_prefix: null,
    })
    expect(bc.backup_configs.kopia.password).toBe(MASK)
    const row = await stored(bc.uuid)
    const raw = JSON.stringify(row.backup_configs)
    for (const secret of ['s3-secret', 'pbs-secret', '"rp"', '"kp"', '"id"']) expect(raw).not.toContain(secret)
    const configs = row.backup_configs as any
    expect(t.kernel.secrets.decrypt(configs.s3.secret_key)).toBe('s3-secret')
    expect(t.kernel.secrets.decrypt(configs.restic.environment.RESTIC_PASSWORD)).toBe('rp')
    expect(t.kernel.secrets.decrypt(configs.restic.environment.AWS_ACCESS_KEY_ID)).toBe('id')
    const [event] = await adminEvents(t, admin, 'backup-configuration:create')
    expect(event.data).toEqual({ uuid: bc.uuid, name: 'primary-s3', description: 'Nightly', maintenance_enabled: false })
  })

  test('drivers left out answer null', async () => {
    const res = await t.request('POST', '/api/admin/backup-configurations', {
      cookie: admin.cookie,
      body: body({ backup_disk: 'local', backup_configs: {} }),
    })
    expect(res.status).toBe(200)
    expect(res.body.backup_configuration.backup_configs).toEqual({ s3: null, restic: null, pbs: null, kopia: null })
  })

  test('a disk Hatchery cannot serve (pbs, kopia) is a 400 naming the supported ones, at creation and update', async () => {
    for (const disk of ['proxmox-backup-server', 'kopia']) {
      const res = await t.request('POST', '/api/admin/backup-configurations', { cookie: admin.cookie, body: body({ backup_disk: disk }) })
      expect([res.status, res.body.errors]).toEqual([
        400,
        [`backup_disk: ${disk} is not supported by Hatchery; use local, s3, ddup-bak, btrfs, zfs or restic`],
      ])
    }
    const a = await make()
    const res = await t.request('PATCH', `/api/admin/backup-configurations/${a.uuid}`, {
      cookie: admin.cookie,
      body: { backup_disk: 'kopia' },
    })
    expect(res.status).toBe(400)
  })

  test('a taken name is 409', async () => {
    const a = await make()
    const res = await t.request('POST', '/api/admin/backup-configurations', { cookie: admin.cookie, body: body({ name: a.name }) })
    expect(res.status).toBe(409)
    expect(res.body.errors).toEqual(['backup configuration with name already exists'])
  })

  test('bad input is 400 naming the field', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ name: '' }, 'name'],
      [{ name: 'x'.repeat(256) }, 'name'],
      [{ backup_disk: 'tape' }, 'backup_disk'],
      [{ backup_configs: { s3: s3({ part_size: -1 }) } }, 'backup_configs.s3.part_size'],
      [{ backup_configs: { s3: s3({ part_size: 1.5 }) } }, 'backup_configs.s3.part_size'],
      [{ backup_configs: { s3: s3({ part_size: 2 ** 60 }) } }, 'backup_configs.s3.part_size'],
      [{ backup_configs: { s3: s3({ endpoint: 'ftp://x' }) } }, 'backup_configs.s3.endpoint'],
      [{ backup_configs: { s3: s3({ secret_key: MASK }) } }, 'backup_configs.s3.secret_key'],
      [{ backup_configs: { pbs: { ...body().backup_configs.pbs, token_id: 'nope' } } }, 'backup_configs.pbs.token_id'],
      [{ backup_configs: { pbs: { ...body().backup_configs.pbs, fingerprint: 'abc' } } }, 'backup_configs.pbs.fingerprint'],
      [{ backup_configs: { kopia: { ...body().backup_configs.kopia, username: 'Nope' } } }, 'backup_configs.kopia.username'],
      [
        {
          backup_configs: {
            restic: { repository: 'r:x', retry_lock_seconds: 0, environment: {}, prune_jobs: [{ cron: 'nope', nodes: [] }] },
          },
        },
        'backup_configs.restic.prune_jobs',
      ],
    ]
    for (const [over, field] of cases) {
      const res = await t.request('POST', '/api/admin/backup-configurations', { cookie: admin.cookie, body: body(over) })
      expect(res.status).toBe(400)
      expect(res.body.errors.join('\n')).toContain(field)
    }
  })

  // The kernel's JSON parser refuses a number JSON cannot hold before any schema sees it.
  test('1e999 is a 400', async () => {
    const raw = JSON.stringify(body({ backup_configs: { s3: s3({ part_size: 0 }) } })).replace('"part_size":0', '"part_size":1e999')
    const res = await t.request('POST', '/api/admin/backup-configurations', {
      cookie: admin.cookie,
      body: raw,
      headers: { 'content-type': 'application/json' },
    })
    expect(res.status).toBe(400)
    expect(res.body.errors).toEqual(['backup_configs.s3.part_size: number out of range'])
  })

  test('refuses a role holding only backup-configurations.read', async () => {
    await expectGuarded(
      t,
      { method: 'POST', path: '/api/admin/backup-configurations', body: body() },
      plain,
      [{ cookie: reader.cookie }, { token: readerKey }],
      'backup-configurations.create',
    )
  })
})

describe('GET /api/admin/backup-configurations', () => {
  test('lists, searchable by name', async () => {
    const a = await make({ name: uniq('findme') })
    const res = await t.request('GET', `/api/admin/backup-configurations?search=${a.name}`, { cookie: reader.cookie })
    expect(res.status).toBe(200)
    expect(res.body.backup_configurations).toMatchObject({ total: 1, page: 1, per_page: 10 })
    expectModel(BackupConfiguration, res.body.backup_configurations.data[0])
    expect(res.body.backup_configurations.data[0].backup_configs.s3.secret_key).toBe(MASK)
  })

  test('bad pagination → 400', async () => {
    expect((await t.request('GET', '/api/admin/backup-configurations?per_page=101', { cookie: admin.cookie })).status).toBe(400)
  })
})

describe('GET /api/admin/backup-configurations/{backup_configuration}', () => {
  test('reads one; malformed 400, unknown 404', async () => {
    const a = await make()
    const res = await t.request('GET', `/api/admin/backup-configurations/${a.uuid}`, { token: readerKey })
    expect(res.status).toBe(200)
    expectModel(BackupConfiguration, res.body.backup_configuration)
    const bad = await t.request('GET', '/api/admin/backup-configurations/nope', { cookie: admin.cookie })
    expect([bad.status, bad.body.errors]).toEqual([400, ['invalid backup configuration uuid']])
    const none = await t.request('GET', `/api/admin/backup-configurations/${NO_SUCH}`, { cookie: admin.cookie })
    expect([none.status, none.body.errors]).toEqual([404, ['backup configuration not found']])
  })
})

describe('PATCH /api/admin/backup-configurations/{backup_configuration}', () => {
  test('the masked form sent back keeps every secret; a new secret replaces it; logs backup-configuration:update', async () => {
    const a = await make()
    const got = (await t.request('GET', `/api/admin/backup-configurations/${a.uuid}`, { cookie: admin.cookie })).body.backup_configuration
    const before = (await stored(a.uuid)).backup_configs as any
    const { uuid: _u, created: _c, ...form } = got
    const res = await t.request('PATCH', `/api/admin/backup-configurations/${a.uuid}`, {
      cookie: admin.cookie,
      body: { ...form, name: `${a.name}-2`, maintenance_enabled: true },
    })
    expect(res.status).toBe(200)
    expectModel(Empty, res.body)
    const after = (await stored(a.uuid)).backup_configs as any
    expect(after.s3.secret_key).toBe(before.s3.secret_key)
    expect(after.restic.environment.RESTIC_PASSWORD).toBe(before.restic.environment.RESTIC_PASSWORD)
    expect(after.pbs.token_secret).toBe(before.pbs.token_secret)
    expect(after.kopia.password).toBe(before.kopia.password)
    const [event] = await adminEvents(t, admin, 'backup-configuration:update')
    expect(event.data).toEqual({ uuid: a.uuid, name: `${a.name}-2`, description: 'Nightly', maintenance_enabled: true })

    const changed = await t.request('PATCH', `/api/admin/backup-configurations/${a.uuid}`, {
      cookie: admin.cookie,
      body: { backup_configs: { ...form.backup_configs, s3: { ...form.backup_configs.s3, secret_key: 'new-secret' } } },
    })
    expect(changed.status).toBe(200)
    expect(t.kernel.secrets.decrypt(((await stored(a.uuid)).backup_configs as any).s3.secret_key)).toBe('new-secret')
  })

  test('description null clears it; a taken name is 409; bad input 400; unknown 404', async () => {
    const a = await make()
    const b = await make()
    expect(
      (await t.request('PATCH', `/api/admin/backup-configurations/${a.uuid}`, { cookie: admin.cookie, body: { description: null } }))
        .status,
    ).toBe(200)
    expect((await stored(a.uuid)).description).toBeNull()
    const before = (await stored(a.uuid)).backup_configs
    expect(
      (await t.request('PATCH', `/api/admin/backup-configurations/${a.uuid}`, { cookie: admin.cookie, body: { backup_configs: null } }))
        .status,
    ).toBe(200)
    expect((await stored(a.uuid)).backup_configs).toEqual(before)
    const taken = await t.request('PATCH', `/api/admin/backup-configurations/${a.uuid}`, { cookie: admin.cookie, body: { name: b.name } })
    expect([taken.status, taken.body.errors]).toEqual([409, ['backup configuration with name already exists']])
    expect(
      (await t.request('PATCH', `/api/admin/backup-configurations/${a.uuid}`, { cookie: admin.cookie, body: { shared: 'yes' } })).status,
    ).toBe(400)
    expect((await t.request('PATCH', `/api/admin/backup-configurations/${NO_SUCH}`, { cookie: admin.cookie, body: {} })).status).toBe(404)
  })

  test('refuses a reader', async () => {
    const a = await make()
    await expectGuarded(
      t,
      { method: 'PATCH', path: `/api/admin/backup-configurations/${a.uuid}`, body: {} },
      plain,
      [{ cookie: reader.cookie }, { token: readerKey }],
      'backup-configurations.update',
    )
  })
})

describe('DELETE /api/admin/backup-configurations/{backup_configuration}', () => {
  test('deletes and logs backup-configuration:delete; then 404', async () => {
    const a = await make()
    await expectGuarded(
      t,
      { method: 'DELETE', path: `/api/admin/backup-configurations/${a.uuid}` },
      plain,
      [{ cookie: reader.cookie }, { token: readerKey }],
      'backup-configurations.delete',
    )
    const res = await t.request('DELETE', `/api/admin/backup-configurations/${a.uuid}`, { cookie: admin.cookie })
    expect(res.status).toBe(200)
    expect(await stored(a.uuid)).toBeUndefined()
    const [event] = await adminEvents(t, admin, 'backup-configuration:delete')
    expect(event.data).toEqual({ uuid: a.uuid, name: a.name })
    expect((await t.request('DELETE', `/api/admin/backup-configurations/${a.uuid}`, { cookie: admin.cookie })).status).toBe(404)
  })
})

describe('POST /api/admin/backup-configurations/{backup_configuration}/duplicate', () => {
  test('copies everything but the name, secrets included; logs backup-configuration:duplicate', async () => {
    const a = await make()
    const res = await t.request('POST', `/api/admin/backup-configurations/${a.uuid}/duplicate`, {
      cookie: admin.cookie,
      body: { name: `${a.name}-copy` },
    })
    expect(res.status).toBe(200)
    const copy = res.body.backup_configuration
    expectModel(BackupConfiguration, copy)
    expect(copy.name).toBe(`${a.name}-copy`)
    expect(t.kernel.secrets.decrypt(((await stored(copy.uuid)).backup_configs as any).s3.secret_key)).toBe('s3-secret')
    const [event] = await adminEvents(t, admin, 'backup-configuration:duplicate')
    expect(event.data).toEqual({ source_uuid: a.uuid, source_name: a.name, uuid: copy.uuid, name: `${a.name}-copy` })
    const taken = await t.request('POST', `/api/admin/backup-configurations/${a.uuid}/duplicate`, {
      cookie: admin.cookie,
      body: { name: a.name },
    })
    expect(taken.status).toBe(409)
    expect(
      (await t.request('POST', `/api/admin/backup-configurations/${a.uuid}/duplicate`, { cookie: admin.cookie, body: { name: '' } }))
        .status,
    ).toBe(400)
    expect(
      (await t.request('POST', `/api/admin/backup-configurations/${NO_SUCH}/duplicate`, { cookie: admin.cookie, body: { name: uniq() } }))
        .status,
    ).toBe(404)
    await expectGuarded(
      t,
      { method: 'POST', path: `/api/admin/backup-configurations/${a.uuid}/duplicate`, body: { name: uniq() } },
      plain,
      [{ cookie: reader.cookie }, { token: readerKey }],
      'backup-configurations.create',
    )
  })
})

describe('sub-lists and stats of a backup configuration', () => {
  test('nodes, servers and backups are true empty pages until their plugins exist', async () => {
    const a = await make()
    for (const key of ['nodes', 'servers', 'backups']) {
      const res = await t.request('GET', `/api/admin/backup-configurations/${a.uuid}/${key}?page=2&per_page=5`, { cookie: admin.cookie })
      expect(res.status).toBe(200)
      expect(res.body).toEqual({ [key]: { total: 0, per_page: 5, page: 2, data: [] } })
      expect((await t.request('GET', `/api/admin/backup-configurations/${NO_SUCH}/${key}`, { cookie: admin.cookie })).status).toBe(404)
      expect((await t.request('GET', `/api/admin/backup-configurations/${a.uuid}/${key}?page=0`, { cookie: admin.cookie })).status).toBe(
        400,
      )
    }
  })

  test('stats are zeros', async () => {
    const a = await make()
    const res = await t.request('GET', `/api/admin/backup-configurations/${a.uuid}/stats`, { cookie: admin.cookie })
    expect(res.status).toBe(200)
    expectModel(BackupStats, res.body)
    expect(res.body.week).toEqual({ total: 0, successful: 0, successful_bytes: 0, failed: 0, deleted: 0, deleted_bytes: 0 })
    expect((await t.request('GET', '/api/admin/backup-configurations/x/stats', { cookie: admin.cookie })).status).toBe(400)
  })

  test('a reader without stats.read or nodes.read is refused those', async () => {
    const a = await make()
    await expectGuarded(
      t,
      { method: 'GET', path: `/api/admin/backup-configurations/${a.uuid}/stats` },
      plain,
      [{ cookie: reader.cookie }, { token: readerKey }],
      'stats.read',
    )
    await expectGuarded(
      t,
      { method: 'GET', path: `/api/admin/backup-configurations/${a.uuid}/nodes` },
      plain,
      [{ cookie: reader.cookie }, { token: readerKey }],
      'nodes.read',
    )
  })
})
