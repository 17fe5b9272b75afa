import { t } from 'elysia'
import { and, eq, isNull } from 'drizzle-orm'
import { BadRequest, Conflict, Empty, Forbidden, HttpError, type PluginContext } from 'hatchery'
import { getNode } from '../../nodes'
import type { ServersApi } from '../api'
import { installScript } from '../service/remote-startup'
import { servers } from '../tables'
import { serverActivity } from './activity'

const TAG = { tags: ['client servers'] }

/** Sets `status` from `from` to `to` if it still is `from`; answers whether it did. */
async function swapStatus(db: PluginContext['db'], uuid: string, from: 'installing' | 'install_failed' | null, to: 'installing' | null) {
  const rows = await db
    .update(servers)
    .set({ status: to })
    .where(and(eq(servers.uuid, uuid), from === null ? isNull(servers.status) : eq(servers.status, from)))
    .returning({ uuid: servers.uuid })
  return rows.length === 1
}

/**
 * `POST /api/client/servers/{server}/settings/install` (reinstall), `…/install/cancel` and
 * `…/install/unlock` (spec 03 §3.4). The status changes atomically before Wings is asked and
 * goes back if Wings fails; no transaction is held across the Wings call.
 */
export function clientInstallRoutes(ctx: PluginContext, api: ServersApi) {
  return ctx
    .scope('client:server')
    .post(
      '/settings/install',
      async ({ principal, request, resource: server, access, body, set }) => {
        if (!(await swapStatus(ctx.db, server.uuid, null, 'installing'))) {
          throw new BadRequest('server is already installing or in an invalid state for reinstalling')
        }
        try {
          const wings = api.wings(await getNode(ctx.db, server.node_uuid))
          await wings.reinstallServer(server.uuid, {
            truncate_directory: body.truncate_directory,
            installation_script: await installScript(ctx.db, server),
          })
        } catch (e) {
          await swapStatus(ctx.db, server.uuid, 'installing', null)
          throw e
        }
        await serverActivity(ctx, ctx.db, { principal, request, server, access }, 'server:settings.install', {
          truncate_directory: body.truncate_directory,
        })
        set.status = 202
        return {}
      },
      {
        permission: 'server:settings.install',
        body: t.Object({ truncate_directory: t.Boolean({ description: "Empty the server's files before the install script runs" }) }),
        response: { 202: Empty },
        detail: {
          ...TAG,
          summary: 'Reinstall the server',
          description:
            "Runs the egg's install script again on the node (202). 400 `server is already installing or in an invalid state for reinstalling`; a node that fails is 502 and the status goes back.",
        },
      },
    )
    .post(
      '/settings/install/cancel',
      async ({ principal, request, resource: server, access, set }) => {
        const [current] = await ctx.db.select({ status: servers.status }).from(servers).where(eq(servers.uuid, server.uuid))
        if (current?.status === 'install_failed') {
          if (!principal.user.admin && !(await ctx.settings.snapshot()).get('server.allow_acknowledging_installation_failure')) {
            throw new Forbidden('acknowledging installation failure is not allowed')
          }
          await swapStatus(ctx.db, server.uuid, 'install_failed', null)
          return {}
        }
        if (current?.status !== 'installing') throw new Conflict('server is not installing')
        try {
          await api.wings(await getNode(ctx.db, server.node_uuid)).abortInstall(server.uuid)
        } catch (e) {
          // Wings does not know the install any more: nothing runs, so the server is usable again.
          if (e instanceof HttpError && e.status === 409) {
            await swapStatus(ctx.db, server.uuid, 'installing', null)
            return {}
          }
          throw e
        }
        await serverActivity(ctx, ctx.db, { principal, request, server, access }, 'server:settings.abort-install')
        set.status = 202
        return {}
      },
      {
        permission: 'server:settings.cancel-install',
        scope: { stateGate: false },
        response: { 200: Empty, 202: Empty },
        detail: {
          ...TAG,
          summary: 'Cancel an install, or acknowledge a failed one',
          description:
            'Installing: Wings aborts the install (202; its report then clears the status); if Wings no longer runs one (its 409) the status is cleared at once (200). Install failed: the status is cleared (200) when `server.allow_acknowledging_installation_failure` is on or for an administrator, else 403 `acknowledging installation failure is not allowed`. Otherwise 409 `server is not installing`. Answers for a server in any state.',
        },
      },
    )
    .post(
      '/settings/install/unlock',
      async ({ principal, request, resource: server, access }) => {
        if (!(await swapStatus(ctx.db, server.uuid, 'install_failed', null))) throw new Conflict('server has not failed an install')
        await serverActivity(ctx, ctx.db, { principal, request, server, access }, 'server:settings.unlock-install')
        return {}
      },
      {
        permission: 'server:settings.install',
        response: { 200: Empty },
        detail: { ...TAG, summary: 'Clear a failed install', description: '409 `server has not failed an install`.' },
      },
    )
}
