import { Elysia, t } from 'elysia'
import { actorOf, Empty, PageOf, PaginationQuery, pageParams, transaction, uuidParam, type PluginContext } from 'hatchery'
import { AddDatabaseHost, LocationDatabaseHost } from './model'
import { getLocation } from './service'
import { addLocationDatabaseHost, HOST_TAKEN, listLocationDatabaseHosts, removeLocationDatabaseHost } from './links'

const PERMISSION = ['admin:locations.read', 'admin:locations.database-hosts'] as const
const Params = uuidParam('location')
const LinkParams = uuidParam('database_host')
const BothParams = t.Object({ ...Params.properties, ...LinkParams.properties })

/** `/api/admin/locations/{location}/database-hosts`: the database hosts a location offers. */
export function adminLocationDatabaseHostRoutes(ctx: PluginContext) {
  return new Elysia({ prefix: '/locations/:location/database-hosts', tags: ['admin locations'] })
    .use(ctx.guard)
    .get(
      '',
      async ({ params, query }) => {
        const location = await getLocation(ctx.db, params.location)
        return { database_hosts: await listLocationDatabaseHosts(ctx.db, location.uuid, pageParams(query)) }
      },
      {
        permission: [...PERMISSION],
        params: Params,
        query: PaginationQuery,
        response: { 200: t.Object({ database_hosts: PageOf(LocationDatabaseHost) }) },
        detail: { summary: "A location's database hosts (search: host name)", description: 'Credentials are censored as everywhere.' },
      },
    )
    .post(
      '',
      async ({ principal, params, body, request }) => {
        await transaction(ctx.db, async (tx) => {
          const location = await getLocation(tx, params.location)
          const host = await addLocationDatabaseHost(tx, location.uuid, body.database_host_uuid)
          await ctx.activity.admin(tx, actorOf(principal, request), 'location:database-host.create', {
            location_uuid: location.uuid,
            database_host_uuid: host,
          })
        })
        return {}
      },
      {
        permission: [...PERMISSION],
        params: Params,
        body: AddDatabaseHost,
        response: { 200: Empty },
        detail: {
          summary: 'Add a database host to a location',
          description: `An unknown host is 400 \`\`invalid relation \`database_host\` provided\`\`; one already linked is 409 \`${HOST_TAKEN}\`.`,
        },
      },
    )
    .delete(
      '/:database_host',
      async ({ principal, params, request }) => {
        await transaction(ctx.db, async (tx) => {
          const location = await getLocation(tx, params.location)
          const host = await removeLocationDatabaseHost(tx, location.uuid, params.database_host)
          await ctx.activity.admin(tx, actorOf(principal, request), 'location:database-host.delete', {
            location_uuid: location.uuid,
            database_host_uuid: host,
          })
        })
        return {}
      },
      {
        permission: [...PERMISSION],
        params: BothParams,
        response: { 200: Empty },
        detail: {
          summary: 'Remove a database host from a location',
          description: 'A host not linked to the location is 404 `database host not found`.',
        },
      },
    )
}
