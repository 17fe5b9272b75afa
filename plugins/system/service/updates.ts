import { asc, count, sql } from 'drizzle-orm'
import { release } from 'node:os'
import { LimitExceeded, type Database, type SettingsSnapshot } from 'hatchery'
import { countUsers, tables as userTables } from '../../users'
import { architecture, containerType } from './overview'
import pkg from '../../../package.json'

/**
 * Hatchery has no update source (nothing is fetched from the internet), so there is never update
 * information: `GET …/updates` answers null and a recheck is refused with 417.
 */
export const updateInformation = () => null

export function recheckUpdates(): never {
  throw new LimitExceeded('no update information available')
}

/** What the reference answers per node or agent until a check has run: here, always. */
export function noUpdateInformation(): never {
  throw new LimitExceeded('no update information available, try triggering a recheck')
}

/** No release history is known offline: empty lists in the reference's shape. */
export const versionHistory = () => ({
  panel: [] as { version: string; timestamp: string }[],
  extensions: {} as Record<string, { version: string; timestamp: string }[]>,
})

/**
 * What the reference's telemetry report would hold for this panel, in its shape. Hatchery never
 * sends it anywhere (`sent: false`, whatever `app.telemetry_enabled` says); nodes and database
 * agents are not part of it yet.
 */
export async function telemetryReport(db: Database, settings: SettingsSnapshot) {
  const [{ version }] = await db.query<{ version: string }>(sql`select current_setting('server_version') as version`)
  const { users } = userTables
  const languages = await db.db
    .select({ language: users.language, n: count() })
    .from(users)
    .groupBy(users.language)
    .orderBy(asc(users.language))
  return {
    uuid: settings.get('telemetry_uuid') ?? '00000000-0000-0000-0000-000000000000',
    panel: {
      version: pkg.version,
      container_type: containerType(),
      database_version: version,
      cache_version: 'in-process',
      architecture: architecture(),
      kernel_version: release(),
    },
    resources: {
      users: { total: await countUsers(db.db), languages: Object.fromEntries(languages.map((l) => [l.language, l.n])) },
      backups: { total: 0, disks: {} },
      servers: { total: 0 },
    },
    extensions: [],
    nodes: [],
    database_agent_hosts: [],
    sent: false as const,
  }
}
