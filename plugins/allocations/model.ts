import { t, type TSchema } from 'elysia'
import { createSelectSchema } from 'drizzle-typebox'
import { PaginationQuery, Uuid } from 'hatchery'
import { nodeAllocations } from './tables'

const A = createSelectSchema(nodeAllocations).properties

/** The most ports one create may name (`ports` and `port_ranges` together), as the reference bounds `ports`. */
export const MAX_PORTS = 65535

/** `NodeAllocation` (spec 02 §2.7); `server` is the assigned server's `AdminServer` (the servers plugin's model). */
export const NodeAllocation = (server: TSchema) =>
  t.Object({
    uuid: A.uuid,
    server: t.Nullable(server),
    ip: t.String({ description: 'Canonical address text, without prefix length' }),
    ip_alias: t.Nullable(t.String()),
    port: t.Integer(),
    created: A.created,
  })

const IP = t.String({ maxLength: 64, description: 'An IPv4 or IPv6 address (no prefix length, no zone)' })
const Alias = t.String({ minLength: 1, maxLength: 255 })

/** The criteria of a list and of the `filter` selector; absent ones do not narrow. */
const FilterFields = {
  search: t.Optional(t.String({ maxLength: 128, description: 'Matches `<ip>:<port>`, `<ip_alias>:<port>` or a server-allocation note' })),
  ip: t.Optional(IP),
  port_from: t.Optional(t.Integer({ minimum: 1, maximum: 65535, description: 'Lowest port, inclusive' })),
  port_to: t.Optional(t.Integer({ minimum: 1, maximum: 65535, description: 'Highest port, inclusive' })),
  assigned: t.Optional(t.Boolean({ description: 'Only allocations assigned to a server (true) or only free ones (false)' })),
}
export const AllocationFilter = t.Object(FilterFields)
export const ListQuery = t.Object({ page: PaginationQuery.properties.page, per_page: PaginationQuery.properties.per_page, ...FilterFields })

export const Selector = t.Union(
  [
    t.Object({ type: t.Literal('uuids'), uuids: t.Array(Uuid, { maxItems: MAX_PORTS, description: 'At most 65535 uuids' }) }),
    t.Object({ type: t.Literal('all') }),
    t.Object({ type: t.Literal('filter'), filter: AllocationFilter }),
  ],
  { description: 'Which allocations of the node: by uuid, all, or those a filter (of at least one criterion) matches' },
)

export const CreateAllocations = t.Object({
  ip: IP,
  ip_alias: t.Optional(t.Nullable(Alias)),
  ports: t.Optional(
    t.Array(t.Integer({ minimum: 0, maximum: 65535 }), {
      maxItems: MAX_PORTS,
      description: 'Ports to create; 0 entries are dropped, repeated and existing ones skipped',
    }),
  ),
  port_ranges: t.Optional(
    t.Array(t.String({ maxLength: 11 }), {
      maxItems: MAX_PORTS,
      description: 'Hatchery extension: inclusive ranges `"start-end"` (1 to 65535), merged with `ports`',
    }),
  ),
})

export const UpdateAllocations = t.Object({
  selector: Selector,
  ip: IP,
  ip_alias: t.Optional(t.Nullable(Alias, { description: 'Absent: kept; null: cleared' })),
})

export const DeleteAllocations = t.Object({
  selector: Selector,
  force: t.Optional(t.Boolean({ description: 'Also delete allocations assigned to a server (default false)' })),
})

export const Created = t.Object({ created: t.Integer() })
export const Updated = t.Object({ updated: t.Integer(), skipped: t.Integer() })
export const Deleted = t.Object({ deleted: t.Integer(), skipped: t.Integer() })
export const Ips = t.Object({ ips: t.Array(t.String()) })
