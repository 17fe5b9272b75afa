import { actorOf, type PluginContext, type Principal, type Tx } from 'hatchery'
import type { ServerRow } from '../service/admin-servers'
import type { ClientServerAccess } from './scope'

/**
 * Writes a server activity entry for a client route (spec 03 §0.5): the effective user, the
 * impersonator and API key, the address. Skipped for an administrator who is neither owner nor
 * subuser while `activity.server_log_admin_activity` is off. Pass the transaction of the change.
 * @example await serverActivity(ctx, tx, { principal, request, server, access }, 'server:settings.rename', { name })
 */
export async function serverActivity(
  ctx: PluginContext,
  tx: Tx | PluginContext['db'],
  at: { principal: Principal; request: Request; server: ServerRow; access: ClientServerAccess },
  event: string,
  data: Record<string, unknown> = {},
): Promise<void> {
  const outsider = !at.access.owner && !at.access.subuser
  if (outsider && !(await ctx.settings.snapshot()).get('activity.server_log_admin_activity')) return
  await ctx.activity.log('server', tx, actorOf(at.principal, at.request), event, data, at.server.uuid)
}
