/** Test support for the backups plugin (test files only): the client kit of servers, a backup configuration on its node. */
import { beforeAll, expect } from 'bun:test'
import { eq } from 'drizzle-orm'
import { relaxRateLimits, SETUP_TIMEOUT, type TestApp } from 'hatchery/testing'
import { tables as nodeTables } from '../nodes'
import { clientKit } from '../servers/client/test-kit'
import { serverBackups } from './tables'

type Who = { cookie?: string; token?: string }

/**
 * `clientKit` plus a `local` backup configuration on the kit's node; `server(limit)` makes an
 * installed server allowed `limit` backups, `call` requests under `/api/client/servers/{uuid}/backups`,
 * `backup` creates one and waits for the node's report.
 */
export function backupKit(t: TestApp) {
  const k = clientKit(t)
  const kit = Object.assign(k, {
    configuration: '',
    async configure(body: Record<string, unknown> = {}) {
      const res = await t.request('POST', '/api/admin/backup-configurations', {
        cookie: k.admin.cookie,
        body: { name: `cfg${Math.random()}`, maintenance_enabled: false, shared: false, backup_disk: 'local', backup_configs: {}, ...body },
      })
      expect(res.status).toBe(200)
      return res.body.backup_configuration.uuid as string
    },
    backupServer: (limit = 5, over: Record<string, unknown> = {}) =>
      k.server({ feature_limits: { allocations: 0, databases: 0, backups: limit, schedules: 0 }, ...over }),
    call: (method: string, uuid: string, rest: string, who: Who = { cookie: k.owner.cookie }, body?: unknown) =>
      t.request(method, `/api/client/servers/${uuid}/backups${rest}`, { ...who, body }),
    async backup(uuid: string, body: Record<string, unknown> = {}) {
      const res = await kit.call('POST', uuid, '', { cookie: k.owner.cookie }, { ignored_files: [], ...body })
      expect(res.status).toBe(200)
      await kit.settled(res.body.backup.uuid)
      return res.body.backup.uuid as string
    },
    /** Waits until the node has reported the backup (the panel asks it in the background). */
    async settled(uuid: string) {
      for (let i = 0; i < 250 && !(await kit.backupRow(uuid))?.completed; i++) await Bun.sleep(20)
      await k.at.wings.idle()
    },
    backupRow: async (uuid: string) => (await k.db().select().from(serverBackups).where(eq(serverBackups.uuid, uuid)))[0],
  })
  beforeAll(async () => {
    await relaxRateLimits(t)
    await t.kernel.settings.update({ 'ratelimits.client_servers_backups_create': { hits: 100_000, window_seconds: 60 } })
    kit.configuration = await kit.configure()
    await k
      .db()
      .update(nodeTables.nodes)
      .set({ backup_configuration_uuid: kit.configuration })
      .where(eq(nodeTables.nodes.uuid, k.at.node.uuid))
  }, SETUP_TIMEOUT)
  return kit
}
