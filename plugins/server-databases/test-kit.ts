import { afterAll, beforeAll, expect } from 'bun:test'
import mysql from 'mysql2/promise'
import type { TestApp } from 'hatchery/testing'
import { clientKit } from '../servers/client/test-kit'

/**
 * The client kit of the servers plugin plus a database host on this machine's MariaDB
 * (127.0.0.1:3306, reached as root without a password to make a panel account with a password,
 * dropped again after the file, with what its servers' databases left there). `mariadb` is the reason the real-host tests skip, or null.
 * @example const k = databaseKit(t); test('…', async () => { const host = await k.host(); … })
 */
export function databaseKit(t: TestApp) {
  const k = clientKit(t)
  const suffix = Math.random().toString(36).slice(2, 8)
  const made: string[] = []
  const panel = { user: `hatchery_panel_${suffix}`, password: `Panel-${suffix}-pw` }
  const kit = Object.assign(k, {
    mariadb: 'not checked' as string | null,
    panel,
    root: () => mysql.createConnection({ host: '127.0.0.1', port: 3306, user: 'root', connectTimeout: 3000 }),
    /** A database host (deployment enabled) linked to the kit's node, unless `link: false`. */
    async host(over: Record<string, unknown> = {}, link = true) {
      const res = await t.request('POST', '/api/admin/database-hosts', {
        cookie: k.admin.cookie,
        body: {
          name: `h_${Math.random().toString(36).slice(2, 10)}`,
          type: 'mysql',
          deployment_enabled: true,
          maintenance_enabled: false,
          credentials: { type: 'details', host: '127.0.0.1', port: 3306, username: panel.user, password: panel.password },
          ...over,
        },
      })
      expect(res.status).toBe(200)
      const host = res.body.database_host as { uuid: string; name: string }
      if (link) await kit.link('nodes', k.at.node.uuid, host.uuid)
      return host
    },
    async link(kind: 'nodes' | 'locations', owner: string, host: string) {
      const res = await t.request('POST', `/api/admin/${kind}/${owner}/database-hosts`, {
        cookie: k.admin.cookie,
        body: { database_host_uuid: host },
      })
      expect(res.status).toBe(200)
    },
    /** A server of the owner with room for `limit` databases. */
    async serverWith(limit: number) {
      const uuid = await k.server({ feature_limits: { allocations: 0, databases: limit, backups: 0, schedules: 0 } })
      made.push(uuid.replace(/-/g, '').slice(0, 8))
      return uuid
    },
    call: (method: string, server: string, rest: string, who: { cookie?: string; token?: string }, body?: unknown) =>
      t.request(method, `/api/client/servers/${server}/databases${rest}`, { ...who, body }),
    /** Whether MariaDB has a database of that name, as root sees it. */
    async exists(name: string) {
      const root = await kit.root()
      try {
        const [rows] = await root.query('SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?', [name])
        return (rows as unknown[]).length > 0
      } finally {
        await root.end()
      }
    },
    skipped() {
      if (kit.mariadb) console.warn(`skipped: ${kit.mariadb}`)
      return !!kit.mariadb
    },
  })
  beforeAll(async () => {
    try {
      const root = await kit.root()
      await root.query('CREATE USER ?@? IDENTIFIED BY ?', [panel.user, '%', panel.password])
      await root.query('GRANT ALL PRIVILEGES ON *.* TO ?@? WITH GRANT OPTION', [panel.user, '%'])
      await root.end()
      kit.mariadb = null
    } catch (e) {
      kit.mariadb = `MariaDB at 127.0.0.1:3306 as root is unavailable (${(e as Error).message})`
    }
  })
  afterAll(async () => {
    if (kit.mariadb) return
    const root = await kit.root()
    await root.query('DROP USER IF EXISTS ?@?', [panel.user, '%'])
    for (const id of made) {
      const [dbs] = await root.query('SELECT SCHEMA_NAME AS n FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE ?', [`s${id}\\_%`])
      for (const { n } of dbs as { n: string }[]) await root.query(`DROP DATABASE IF EXISTS ${root.escapeId(n)}`)
      const [users] = await root.query('SELECT user AS u FROM mysql.user WHERE user LIKE ?', [`u${id}\\_%`])
      for (const { u } of users as { u: string }[]) await root.query('DROP USER IF EXISTS ?@?', [u, '%'])
    }
    await root.end()
  })
  return kit
}
