import { t } from 'elysia'
import { eq } from 'drizzle-orm'
import { BadRequest, Empty, transaction, type PluginContext } from 'hatchery'
import type { ServersApi } from '../api'
import { getServer } from '../service/admin-servers'
import { TIME_ZONES } from '../service/create'
import { pushConfiguration } from '../service/update'
import { servers } from '../tables'
import { serverActivity } from './activity'

const TAG = { tags: ['client servers'] }

/**
 * `POST /api/client/servers/{server}/settings/rename`, `PUT …/settings/timezone`,
 * `PUT …/settings/auto-kill` and `PUT …/settings/auto-start` (spec 03 §3.4). Each change and its
 * activity entry share a transaction; only auto-kill pushes the configuration to Wings (the
 * others reach it at the next sync, as in the reference).
 */
export function clientSettingsRoutes(ctx: PluginContext, api: ServersApi) {
  return ctx
    .scope('client:server')
    .post(
      '/settings/rename',
      async ({ principal, request, resource: server, access, body }) => {
        await transaction(ctx.db, async (tx) => {
          const [row] = await tx
            .update(servers)
            .set({ ...(body.name !== undefined && { name: body.name }), description: body.description })
            .where(eq(servers.uuid, server.uuid))
            .returning({ name: servers.name, description: servers.description })
          await serverActivity(ctx, tx, { principal, request, server, access }, 'server:settings.rename', row)
        })
        return {}
      },
      {
        permission: 'server:settings.rename',
        body: t.Object({
          name: t.Optional(t.String({ minLength: 1, maxLength: 255 })),
          description: t.Union([t.String({ minLength: 1, maxLength: 1024 }), t.Null()], {
            description: 'Required: null clears the description',
          }),
        }),
        response: { 200: Empty },
        detail: {
          ...TAG,
          summary: 'Rename the server',
          description: 'An absent `name` keeps the name; `description` must be given (null clears it). Not pushed to Wings.',
        },
      },
    )
    .put(
      '/settings/timezone',
      async ({ principal, request, resource: server, access, body }) => {
        const timezone = body.timezone ?? null
        if (timezone !== null && !TIME_ZONES.has(timezone)) throw new BadRequest(`invalid payload: unknown time zone '${timezone}'`)
        await transaction(ctx.db, async (tx) => {
          await tx.update(servers).set({ timezone }).where(eq(servers.uuid, server.uuid))
          await serverActivity(ctx, tx, { principal, request, server, access }, 'server:settings.timezone', { timezone })
        })
        return {}
      },
      {
        permission: 'server:settings.timezone',
        body: t.Object({ timezone: t.Optional(t.Union([t.String({ minLength: 3, maxLength: 255 }), t.Null()])) }),
        response: { 200: Empty },
        detail: {
          ...TAG,
          summary: "Set the server's time zone",
          description: 'An IANA zone name (or `UTC`); absent or null clears it. An unknown zone is 400.',
        },
      },
    )
    .put(
      '/settings/auto-kill',
      async ({ principal, request, resource: server, access, body }) => {
        const row = await transaction(ctx.db, async (tx) => {
          const locked = await getServer(tx, server.uuid, true)
          const auto_kill = { enabled: body.enabled, seconds: body.seconds ?? locked.auto_kill.seconds }
          if (!(auto_kill.seconds >= 1 && auto_kill.seconds <= 3600)) throw new BadRequest('auto_kill.seconds: must be between 1 and 3600')
          const [updated] = await tx.update(servers).set({ auto_kill }).where(eq(servers.uuid, server.uuid)).returning()
          await serverActivity(ctx, tx, { principal, request, server, access }, 'server:settings.auto-kill', auto_kill)
          return updated
        })
        void pushConfiguration(ctx, api, row)
        return {}
      },
      {
        permission: 'server:settings.auto-kill',
        body: t.Object({
          enabled: t.Boolean(),
          seconds: t.Optional(t.Integer({ minimum: 1, maximum: 3600, description: 'Absent keeps the current value' })),
        }),
        response: { 200: Empty },
        detail: {
          ...TAG,
          summary: 'Set auto-kill',
          description: 'Wings kills the server when a stop takes longer than `seconds`. The configuration is pushed to Wings.',
        },
      },
    )
    .put(
      '/settings/auto-start',
      async ({ principal, request, resource: server, access, body }) => {
        await transaction(ctx.db, async (tx) => {
          await tx.update(servers).set({ auto_start_behavior: body.behavior }).where(eq(servers.uuid, server.uuid))
          await serverActivity(ctx, tx, { principal, request, server, access }, 'server:settings.auto-start', {
            auto_start_behavior: body.behavior,
          })
        })
        return {}
      },
      {
        permission: 'server:settings.auto-start',
        body: t.Object({ behavior: t.Union([t.Literal('always'), t.Literal('unless_stopped'), t.Literal('never')]) }),
        response: { 200: Empty },
        detail: {
          ...TAG,
          summary: 'Set the auto-start behaviour',
          description: 'When Wings starts the server by itself. Not pushed to Wings.',
        },
      },
    )
}
