import type { PluginContext, Principal } from 'hatchery'
import { getNode } from '../../nodes'
import servers, { serverActivity, type ClientServerAccess, type ServerRow, type WingsClient } from '../../servers'
import { Hidden } from './paths'

/** A file route's request: who asks, about which server, as what. */
export interface At {
  principal: Principal
  request: Request
  resource: ServerRow
  access: ClientServerAccess
}

/** What every file route needs: the server's Wings, the caller's hidden paths, the activity writer. */
export function filesContext(ctx: PluginContext) {
  const api = () => ctx.api(servers)
  return {
    async wings(server: ServerRow): Promise<WingsClient> {
      return api().wings(await getNode(ctx.db, server.node_uuid))
    },
    /** The subuser's `ignored_files`; nothing is hidden from owners and administrators (spec 03 §5.4.1). */
    hidden(at: Pick<At, 'principal' | 'access'>): Hidden {
      if (at.principal.user.admin || at.access.owner) return new Hidden([])
      return new Hidden(at.access.subuser?.ignored_files ?? [])
    },
    /** Logs `event` on the server (spec 03 §0.5), after the operation succeeded. */
    log(at: At, event: string, data: Record<string, unknown>, server: ServerRow = at.resource, access = at.access) {
      return serverActivity(ctx, ctx.db, { principal: at.principal, request: at.request, server, access }, event, data)
    },
    api,
  }
}

export type FilesContext = ReturnType<typeof filesContext>

export const TAG = { tags: ['client server files'] }
export const UNREACHABLE = 'A node that is down, late or answering garbage is 502; Wings’ 404/409/413/417 are passed on with its message.'

/**
 * Wings' background answer (`{identifier}`, spec 04 §1.6 D) as the panel's 202 — switching on the
 * shape, not on the reference's quirk of always answering 200 — else what `done` makes of it.
 * @example return accepted(set, answer, () => ({ entry: answer }))
 */
export function accepted<A extends object, T>(
  set: { status?: number | string },
  answer: A,
  done: (answer: Exclude<A, { identifier: string }>) => T,
): T | { identifier: string } {
  if ('identifier' in answer) {
    set.status = 202
    return { identifier: String(answer.identifier) }
  }
  return done(answer as Exclude<A, { identifier: string }>)
}
