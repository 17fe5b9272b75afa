import { Elysia, t } from 'elysia'
import { definePlugin, type Db, type PluginDescriptor } from 'hatchery'
import { tables as userTables } from '../users'

/**
 * The counts of `GET /api/admin/stats/general`, in the reference's order. A key no plugin
 * contributes (no servers plugin yet) answers 0, so the shape never changes.
 */
export const GENERAL_STATS = [
  'users',
  'servers',
  'locations',
  'nodes',
  'nest_eggs',
  'database_hosts',
  'backup_configurations',
  'roles',
] as const
export type GeneralStat = (typeof GENERAL_STATS)[number]

/** Counts one area, e.g. `(db) => db.$count(nodes)`. */
export type StatCounter = (db: Db) => Promise<number>

/** What the stats plugin offers other plugins (through `ctx.api(stats)`). */
export interface StatsApi {
  /**
   * Adds a count to `stats/general` under `key`: one of `GENERAL_STATS`, or a key of the plugin's
   * own, answered after them. A key contributed twice stops boot (naming both plugins).
   * @example ctx.api(stats).contribute('nodes', (db) => db.$count(nodes), ctx.plugin)
   */
  contribute(key: GeneralStat | (string & {}), counter: StatCounter, plugin: string): void
  /** Every contributed count (zeros for the reference's keys nobody counts). */
  general(db: Db): Promise<Record<GeneralStat, number> & Record<string, number>>
}

function createStatsApi(): StatsApi {
  const counters = new Map<string, { counter: StatCounter; plugin: string }>()
  return {
    contribute(key, counter, plugin) {
      if (!/^[a-z][a-z0-9_]*$/.test(key)) throw new Error(`stats key '${key}' of plugin ${plugin} must be snake_case`)
      const taken = counters.get(key)
      if (taken) throw new Error(`stats key '${key}' contributed by both ${taken.plugin} and ${plugin}`)
      counters.set(key, { counter, plugin })
    },
    async general(db) {
      const keys = [...GENERAL_STATS, ...[...counters.keys()].filter((k) => !(GENERAL_STATS as readonly string[]).includes(k))]
      const values = await Promise.all(keys.map((k) => counters.get(k)?.counter(db) ?? 0))
      return Object.fromEntries(keys.map((k, i) => [k, Number(values[i])])) as Record<GeneralStat, number>
    },
  }
}

const Count = t.Integer({ minimum: 0 })
const GeneralStats = t.Object(Object.fromEntries(GENERAL_STATS.map((k) => [k, Count])) as Record<GeneralStat, typeof Count>, {
  additionalProperties: Count,
  description: "Row counts; 0 where the area's plugin is not installed. Plugins may add keys of their own after these.",
})

/**
 * `/api/admin/stats/general`: counts contributed by each plugin through `ctx.api(stats).contribute`.
 * Users and roles are counted here, from the users plugin's tables: users is the base every plugin
 * (this one included) depends on, so it cannot depend on stats. `stats/backups` comes with backups.
 */
const plugin: PluginDescriptor<StatsApi> = definePlugin<StatsApi>({
  name: 'stats',
  version: '1.0.0',
  description: 'Admin statistics: row counts contributed by each plugin',
  dependsOn: ['users'],
  setup(ctx) {
    const api = createStatsApi()
    api.contribute('users', (db) => db.$count(userTables.users), ctx.plugin)
    api.contribute('roles', (db) => db.$count(userTables.roles), ctx.plugin)
    return api
  },
  routes: {
    admin: (ctx) =>
      new Elysia({ prefix: '/stats', tags: ['admin stats'] })
        .use(ctx.guard)
        .get('/general', async () => ({ stats: await ctx.api(plugin).general(ctx.db) }), {
          permission: 'admin:stats.read',
          response: { 200: t.Object({ stats: GeneralStats }) },
          detail: {
            summary: 'Row counts of the panel',
            description:
              'The keys of the reference (users, servers, locations, nodes, nest_eggs, database_hosts, backup_configurations, roles) always; other plugins may add theirs.',
          },
        }),
  },
})

export default plugin
