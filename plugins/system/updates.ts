import { Elysia, t } from 'elysia'
import { PageOf, PaginationQueryNoSearch, type PluginContext } from 'hatchery'
import { noUpdateInformation, recheckUpdates, telemetryReport, updateInformation, versionHistory } from './service/updates'

const HistoryEntry = t.Object({ version: t.String(), timestamp: t.String() })

const UpdateInformation = t.Object({
  panel_version: t.String(),
  latest_panel_version: t.String(),
  latest_wings_version: t.String(),
  latest_db_agent_version: t.String(),
  extensions: t.Record(t.String(), t.Object({ type: t.String() }, { additionalProperties: true })),
})

const Telemetry = t.Object({
  uuid: t.String({ format: 'uuid' }),
  panel: t.Object({
    version: t.String(),
    container_type: t.String(),
    database_version: t.String(),
    cache_version: t.String(),
    architecture: t.String(),
    kernel_version: t.String(),
  }),
  resources: t.Object({
    users: t.Object({ total: t.Integer(), languages: t.Record(t.String(), t.Integer()) }),
    backups: t.Object({ total: t.Integer(), disks: t.Record(t.String(), t.Integer()) }),
    servers: t.Object({ total: t.Integer() }),
  }),
  extensions: t.Array(t.Unknown()),
  nodes: t.Array(t.Unknown()),
  database_agent_hosts: t.Array(t.Unknown()),
  sent: t.Literal(false, { description: 'Hatchery: this report is never sent anywhere' }),
})

/** A node or database agent as its own plugin will describe it; never sent while there is no update information. */
const Outdated = t.Object({ version: t.String(), node: t.Record(t.String(), t.Unknown()) })
const OutdatedAgent = t.Object({ version: t.String(), database_agent_host: t.Record(t.String(), t.Unknown()) })

/** `/api/admin/system/telemetry` and `/updates`: honest answers from a panel that calls nobody. */
export function updateRoutes(ctx: PluginContext) {
  return new Elysia({ prefix: '/system', tags: ['admin system'] })
    .use(ctx.guard)
    .get('/telemetry', async () => ({ telemetry: await telemetryReport(ctx.database, await ctx.settings.snapshot()) }), {
      permission: 'admin:stats.read',
      response: { 200: t.Object({ telemetry: Telemetry }) },
      detail: {
        summary: 'What a telemetry report would say about this panel',
        description: 'Hatchery sends no telemetry, whatever `app.telemetry_enabled` says.',
      },
    })
    .get('/updates', () => ({ update_information: updateInformation() }), {
      permission: 'admin:stats.read',
      response: { 200: t.Object({ update_information: t.Union([UpdateInformation, t.Null()]) }) },
      detail: { summary: 'Update information: always null', description: 'Hatchery checks no update source.' },
    })
    .post('/updates/recheck', () => recheckUpdates(), {
      permission: 'admin:stats.read',
      response: { 200: t.Object({ update_information: UpdateInformation }) },
      detail: {
        summary: 'Check for updates: always 417 `no update information available`',
        description: 'There is no update source to ask.',
      },
    })
    .get('/updates/nodes', () => noUpdateInformation(), {
      permission: 'admin:nodes.read',
      query: PaginationQueryNoSearch,
      response: { 200: t.Object({ outdated_nodes: PageOf(Outdated), failed_nodes: t.Integer() }) },
      detail: {
        summary: 'Nodes older than the latest release: always 417',
        description: 'Without update information no node can be judged outdated (the reference’s 417).',
      },
    })
    .get('/updates/database-agent-hosts', () => noUpdateInformation(), {
      permission: 'admin:database-agent-hosts.read',
      query: PaginationQueryNoSearch,
      response: { 200: t.Object({ outdated_database_agent_hosts: PageOf(OutdatedAgent), failed_database_agent_hosts: t.Integer() }) },
      detail: {
        summary: 'Database agents older than the latest release: always 417',
        description: 'Without update information none can be judged outdated.',
      },
    })
    .get('/updates/history', () => ({ version_history: versionHistory() }), {
      permission: 'admin:stats.read',
      response: {
        200: t.Object({
          version_history: t.Object({ panel: t.Array(HistoryEntry), extensions: t.Record(t.String(), t.Array(HistoryEntry)) }),
        }),
      },
      detail: { summary: 'Release history: empty (none is known offline)' },
    })
}
