import { HttpError, type Db } from 'hatchery'
import { getNode } from '../../nodes'
import type { ServersApi } from '../api'
import type { ServerRow } from './admin-servers'
import type { PowerAction } from '../wings/model'
import type { ClientServerAccess } from '../client/scope'

/** One server's outcome in a bulk power call, keyed by the id as sent. */
export type PowerResult = { ok: true } | { status: number; error: string }

/** What the bulk action needs from the client scope: who may see a server, its gate, its permissions. */
export interface ServerGate {
  visible(value: string): Promise<{ server: ServerRow; access: ClientServerAccess }>
  gate(server: ServerRow): void
  permits(access: ClientServerAccess): boolean
  /** The 403 error for a server the caller sees but may not power. */
  denied(): HttpError
}

const failure = (e: unknown): PowerResult => {
  if (e instanceof HttpError) return { status: e.status, error: e.messages.join('; ') }
  throw e
}

/**
 * A power action on many servers (an extension of spec 03 §2.1): each id is judged like the
 * single route (404 invisible, 409 state gate, 403 permission), then one Wings call per node, all
 * nodes at once; a node that fails fails only its servers. `onPowered` runs for each server powered.
 */
export async function bulkPower(
  db: Db,
  api: ServersApi,
  ids: string[],
  action: PowerAction,
  rules: ServerGate,
  onPowered: (server: ServerRow, access: ClientServerAccess) => Promise<void>,
): Promise<Record<string, PowerResult>> {
  const results: Record<string, PowerResult> = {}
  const byNode = new Map<string, { id: string; at: number; server: ServerRow; access: ClientServerAccess }[]>()
  await Promise.all(
    ids.map(async (id, at) => {
      try {
        const { server, access } = await rules.visible(id)
        rules.gate(server)
        if (!rules.permits(access)) throw rules.denied()
        const list = byNode.get(server.node_uuid) ?? []
        list.push({ id, at, server, access })
        byNode.set(server.node_uuid, list)
      } catch (e) {
        results[id] = failure(e)
      }
    }),
  )
  await Promise.all(
    [...byNode].map(async ([nodeUuid, list]) => {
      // In the caller's order, whichever lookup finished first (some are answered from a cache).
      list.sort((a, b) => a.at - b.at)
      try {
        const node = await getNode(db, nodeUuid)
        await api.power(node, { type: 'uuids', uuids: [...new Set(list.map((s) => s.server.uuid))] }, action)
      } catch (e) {
        for (const { id } of list) results[id] = failure(e)
        return
      }
      for (const { id, server, access } of list) {
        results[id] = { ok: true }
        await onPowered(server, access)
      }
    }),
  )
  return Object.fromEntries(ids.map((id) => [id, results[id]]))
}
