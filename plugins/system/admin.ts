import { Elysia, t } from 'elysia'
import { actorOf, type PluginContext } from 'hatchery'
import { debugState, setDebug } from './service/debug'
import { generalHealth } from './service/health'
import { systemOverview } from './service/overview'

const Counts = t.Object({ total: t.Integer(), applied: t.Integer() })

const Overview = t.Object({
  version: t.String(),
  container_type: t.String(),
  cpu: t.Object({ name: t.String(), brand: t.String(), vendor_id: t.String(), frequency_mhz: t.Number(), cpu_count: t.Integer() }),
  memory: t.Object({ total_bytes: t.Number(), free_bytes: t.Number(), used_bytes: t.Number(), used_bytes_process: t.Number() }),
  cache: t.Object({
    version: t.String(),
    total_calls: t.Number(),
    total_hits: t.Number(),
    total_misses: t.Number(),
    average_call_latency_ns: t.Number(),
    max_call_latency_ns: t.Number(),
  }),
  database: t.Object({
    version: t.String(),
    size_bytes: t.Number(),
    total_read_connections: t.Integer(),
    idle_read_connections: t.Integer(),
    total_write_connections: t.Integer(),
    idle_write_connections: t.Integer(),
  }),
  architecture: t.String(),
  kernel_version: t.String(),
  runtime: t.String({ description: 'Hatchery: the JavaScript runtime' }),
  database_driver: t.Union([t.Literal('postgres'), t.Literal('pglite')], { description: 'Hatchery: PostgreSQL server or embedded PGlite' }),
  uptime_seconds: t.Integer({ description: 'Hatchery: how long this process has run' }),
})

const Health = t.Object({
  local_time: t.String(),
  ntp_offsets: t.Record(t.String(), t.Object({ offset_micros: t.Number() })),
  migrations: t.Object({ ...Counts.properties, extensions: t.Record(t.String(), Counts) }),
})

const Debug = t.Object({ enabled: t.Boolean(), default: t.Boolean() })

/** `/api/admin/system`: overview, health and the debug switch. */
export function systemRoutes(ctx: PluginContext) {
  return new Elysia({ prefix: '/system', tags: ['admin system'] })
    .use(ctx.guard)
    .get('/overview', () => systemOverview(ctx.database), {
      permission: 'admin:stats.read',
      response: { 200: Overview },
      detail: {
        summary: 'This panel process: version, machine, memory, cache and database',
        description:
          'The reference keys first; `runtime`, `database_driver` and `uptime_seconds` are Hatchery’s own. Cache counters are 0: Hatchery’s caches keep no call statistics.',
      },
    })
    .get('/health/general', () => generalHealth(ctx.database, ctx.kernel.migrationSources), {
      permission: 'admin:stats.read',
      response: { 200: Health },
      detail: {
        summary: 'Local time and migrations',
        description:
          '`migrations.total/applied` count the kernel’s own (`core`) migrations, `extensions` each plugin’s. `ntp_offsets` is empty: Hatchery queries no NTP server.',
      },
    })
    .get('/debug', () => debugState(ctx), {
      permission: 'admin:settings.read',
      response: { 200: Debug },
      detail: { summary: 'Whether 500 responses tell their cause', description: '`default` is APP_DEBUG.' },
    })
    .post(
      '/debug',
      async ({ principal, request, body }) => {
        await setDebug(ctx, actorOf(principal, request), body.enabled)
        return {}
      },
      {
        permission: 'admin:settings.update',
        body: t.Object({ enabled: t.Boolean() }),
        response: { 200: t.Object({}) },
        detail: {
          summary: 'Turn debug mode on or off at run time',
          description:
            'Stored (setting `system.debug`), so every panel process follows within 2 s and a restart keeps it. Debug mode puts the cause of a 500 in its message; never a stack trace.',
        },
      },
    )
}
