import { Elysia } from 'elysia'
import type { PluginContext } from 'hatchery'

/** `/api/admin/nests…`: nests, eggs, egg variables (filled by the nests work). */
export function adminNestRoutes(ctx: PluginContext) {
  return new Elysia({ prefix: '/nests', tags: ['admin nests'] }).use(ctx.guard)
}
