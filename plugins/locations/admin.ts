import { Elysia, t } from 'elysia'
import { actorOf, Empty, PageOf, PaginationQuery, pageParams, transaction, uuidParam, type PluginContext } from 'hatchery'
import { CreateLocation, DuplicateLocation, Location, UpdateLocation } from './model'
import {
  adminLocation,
  createLocation,
  deleteLocation,
  duplicateLocation,
  getLocation,
  listLocations,
  locationAudit,
  updateLocation,
} from './service'
import type { LocationHooks } from './hooks'

const Params = uuidParam('location')
const One = t.Object({ location: Location })
const READ = 'admin:locations.read' as const

/** `/api/admin/locations`: CRUD, duplicate and a location's nodes (the database-host links: `database-hosts.ts`). */
export function adminLocationRoutes(ctx: PluginContext, hooks: LocationHooks) {
  return new Elysia({ prefix: '/locations', tags: ['admin locations'] })
    .use(ctx.guard)
    .get('', async ({ query }) => ({ locations: await listLocations(ctx.db, ctx.secrets, pageParams(query)) }), {
      permission: READ,
      query: PaginationQuery,
      response: { 200: t.Object({ locations: PageOf(Location) }) },
      detail: { summary: 'List locations (search: name)' },
    })
    .post(
      '',
      async ({ principal, body, request }) => {
        const row = await transaction(ctx.db, async (tx) => {
          const row = await createLocation(tx, body)
          await ctx.activity.admin(tx, actorOf(principal, request), 'location:create', locationAudit(row))
          return row
        })
        return { location: await adminLocation(ctx.db, ctx.secrets, row) }
      },
      {
        permission: 'admin:locations.create',
        body: CreateLocation,
        response: { 200: One },
        detail: {
          summary: 'Create a location',
          description:
            'A taken name is a 409; an unknown backup configuration is 400 ``invalid relation `backup_configuration` provided``.',
        },
      },
    )
    .get(
      '/:location',
      async ({ params }) => ({ location: await adminLocation(ctx.db, ctx.secrets, await getLocation(ctx.db, params.location)) }),
      {
        permission: READ,
        params: Params,
        response: { 200: One },
        detail: { summary: 'Get a location' },
      },
    )
    .patch(
      '/:location',
      async ({ principal, params, body, request }) => {
        await transaction(ctx.db, async (tx) => {
          const row = await updateLocation(tx, params.location, body)
          await ctx.activity.admin(tx, actorOf(principal, request), 'location:update', locationAudit(row))
        })
        return {}
      },
      {
        permission: [READ, 'admin:locations.update'],
        params: Params,
        body: UpdateLocation,
        response: { 200: Empty },
        detail: {
          summary: 'Update a location',
          description: 'Absent fields stay; null clears `backup_configuration_uuid`, `description` or `flag`.',
        },
      },
    )
    .delete(
      '/:location',
      async ({ principal, params, request }) => {
        await transaction(ctx.db, async (tx) => {
          const row = await deleteLocation(tx, params.location, hooks.deletionGuards)
          await ctx.activity.admin(tx, actorOf(principal, request), 'location:delete', { uuid: row.uuid, name: row.name })
        })
        return {}
      },
      {
        permission: [READ, 'admin:locations.delete'],
        params: Params,
        response: { 200: Empty },
        detail: {
          summary: 'Delete a location',
          description: 'A location with nodes is a 409 `location has nodes, cannot delete` (once nodes exist).',
        },
      },
    )
    .post(
      '/:location/duplicate',
      async ({ principal, params, body, request }) => {
        const copy = await transaction(ctx.db, async (tx) => {
          const { source, copy } = await duplicateLocation(tx, params.location, body.name, hooks.onDuplicated)
          await ctx.activity.admin(tx, actorOf(principal, request), 'location:duplicate', {
            source_uuid: source.uuid,
            source_name: source.name,
            uuid: copy.uuid,
            name: copy.name,
          })
          return copy
        })
        return { location: await adminLocation(ctx.db, ctx.secrets, copy) }
      },
      {
        permission: [READ, 'admin:locations.create'],
        params: Params,
        body: DuplicateLocation,
        response: { 200: One },
        detail: {
          summary: 'Copy a location under a new name',
          description: 'Copies the backup configuration, description, flag and the database-host links.',
        },
      },
    )
    .get(
      '/:location/nodes',
      async ({ params, query }) => {
        const row = await getLocation(ctx.db, params.location)
        return { nodes: await hooks.lists.list('nodes', ctx.db, row.uuid, pageParams(query)) } as never
      },
      {
        permission: [READ, 'admin:nodes.read'],
        params: Params,
        query: PaginationQuery,
        response: { 200: t.Object({ nodes: PageOf(hooks.lists.model('nodes')) }) },
        detail: { summary: "A location's nodes (search: name)", description: 'An empty page until the nodes plugin provides the list.' },
      },
    )
}
