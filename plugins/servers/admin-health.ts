import { Elysia, t } from 'elysia'
import { asc } from 'drizzle-orm'
import { PageOf, PaginationQueryNoSearch, pageParams, type PluginContext } from 'hatchery'
import { adminNode, model as nodeModel, tables as nodeTables, type NodeRow } from '../nodes'
import type { ServersApi } from './api'

/** A clock this far from the panel's (either way) is reported (spec 02 §12.3). */
export const DRIFT_MS = 5_000
const CACHE_MS = 30_000
const PARALLEL = 10

interface NodeTime {
  uuid: string
  local_time: string
  panel_local_time: string
  drift: number
}

/**
 * Asks every node for its time (`GET /api/system/overview`, 2 s each, 10 at a time): the nodes
 * that answered, in creation order, and how many did not. Cached 30 s per panel process, as the
 * reference caches it, so a health page does not call every node on each refresh.
 */
function nodeClocks(ctx: PluginContext, api: ServersApi) {
  let cached: { at: number; value: Promise<{ times: NodeTime[]; failed: number }> } | null = null
  const probe = async () => {
    const nodes: NodeRow[] = await ctx.db.select().from(nodeTables.nodes).orderBy(asc(nodeTables.nodes.created), asc(nodeTables.nodes.uuid))
    const times: (NodeTime | null)[] = new Array(nodes.length).fill(null)
    let failed = 0
    let next = 0
    const worker = async () => {
      while (next < nodes.length) {
        const at = next++
        const panel = new Date()
        try {
          const overview = await api.wings(nodes[at]).systemOverview(2_000)
          const local = new Date(overview.local_time)
          if (Number.isNaN(local.getTime())) throw new Error('local_time is no date')
          times[at] = {
            uuid: nodes[at].uuid,
            local_time: overview.local_time,
            panel_local_time: panel.toISOString(),
            drift: local.getTime() - panel.getTime(),
          }
        } catch (e) {
          ctx.log.warn('node clock check failed', { node: nodes[at].uuid, error: (e as Error).message })
          failed++
        }
      }
    }
    await Promise.all(Array.from({ length: Math.min(PARALLEL, nodes.length) }, worker))
    return { times: times.filter((x): x is NodeTime => x !== null), failed }
  }
  return () => {
    if (!cached || Date.now() - cached.at > CACHE_MS) {
      cached = { at: Date.now(), value: probe() }
      cached.value.catch(() => (cached = null))
    }
    return cached.value
  }
}

const DesyncNode = t.Object({ local_time: t.String(), panel_local_time: t.String(), node: nodeModel.Node })

/** `GET /api/admin/system/health/nodes` (spec 02 §12.3): nodes whose clock is 5 s or more off the panel's. */
export function adminNodeHealthRoutes(ctx: PluginContext, api: ServersApi) {
  const clocks = nodeClocks(ctx, api)
  return new Elysia({ prefix: '/system/health', tags: ['admin system'] }).use(ctx.guard).get(
    '/nodes',
    async ({ query }) => {
      const page = pageParams(query)
      const { times, failed } = await clocks()
      const desync = times.filter((x) => Math.abs(x.drift) >= DRIFT_MS)
      const data = await Promise.all(
        desync.slice(page.offset, page.offset + page.perPage).map(async (x) => ({
          local_time: x.local_time,
          panel_local_time: x.panel_local_time,
          node: await adminNode(ctx.db, ctx.secrets, x.uuid),
        })),
      )
      return { desync_nodes: { total: desync.length, per_page: page.perPage, page: page.page, data }, failed_nodes: failed }
    },
    {
      permission: 'admin:nodes.read',
      query: PaginationQueryNoSearch,
      response: { 200: t.Object({ desync_nodes: PageOf(DesyncNode), failed_nodes: t.Integer() }) },
      timeout: 60,
      detail: {
        summary: 'Nodes whose clock is off',
        description:
          "Asks every node for its time (2 s each, 10 at a time; the answer is kept 30 s) and lists those 5 s or more off the panel's clock, with both times; `failed_nodes` counts the nodes that did not answer.",
      },
    },
  )
}
