import { Elysia } from 'elysia'
import type { PluginContext } from 'hatchery'

/** `/api/admin/nests/{nest}/eggs/import…`, `…/{egg}/export` and `…/{egg}/update/import…` (filled by the egg-format work). */
export function eggImportRoutes(ctx: PluginContext) {
  return new Elysia({ prefix: '/nests', tags: ['admin nests'] }).use(ctx.guard)
}
