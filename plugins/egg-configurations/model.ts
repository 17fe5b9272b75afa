import { t } from 'elysia'
import { createSelectSchema } from 'drizzle-typebox'
import { RouteOrderItem, Uuid } from 'hatchery'
import { eggConfigurations } from './tables'

const E = createSelectSchema(eggConfigurations).properties

const Port = t.Integer({ minimum: 1, maximum: 65535 })
const Variable = t.String({ minLength: 1, maxLength: 255, description: 'The egg variable that receives the port' })
const AssignTo = t.Optional(t.Nullable(Variable))
const Shift = t.Integer({ minimum: 0, maximum: 65535 })
const Factor = t.Number({ exclusiveMinimum: 0, description: 'A finite number above 0' })

/** How an additional allocation is picked, tagged by `type`. */
export const AdditionalMode = t.Union([
  t.Object({ type: t.Literal('random') }),
  t.Object({ type: t.Literal('range'), start_port: Port, end_port: Port }),
  t.Object({ type: t.Literal('add_primary'), value: Shift }),
  t.Object({ type: t.Literal('subtract_primary'), value: Shift }),
  t.Object({ type: t.Literal('multiply_primary'), value: Factor }),
  t.Object({ type: t.Literal('divide_primary'), value: Factor }),
])

const UserSelfAssign = t.Object({
  enabled: t.Boolean(),
  require_primary_allocation: t.Boolean(),
  start_port: Port,
  end_port: Port,
})
const UserSelfAssignInput = t.Object(UserSelfAssign.properties, {
  description: 'Default `{enabled: false, require_primary_allocation: true, start_port: 49152, end_port: 65535}`',
})

/** `Deployment` as written: `primary` and `assign_to_variable` may be left out (null). */
export const DeploymentInput = t.Object(
  {
    dedicated: t.Boolean(),
    primary: t.Optional(t.Nullable(t.Object({ start_port: Port, end_port: Port, assign_to_variable: AssignTo }))),
    additional: t.Array(t.Object({ mode: AdditionalMode, assign_to_variable: AssignTo }), { maxItems: 100 }),
  },
  { description: 'Default `{dedicated: false, primary: null, additional: []}`' },
)

/** `config_allocations` as written; a missing section takes the reference's default. */
export const ConfigAllocationsInput = t.Object({
  user_self_assign: t.Optional(UserSelfAssignInput),
  deployment: t.Optional(DeploymentInput),
})
export const ConfigStartup = t.Object({ allow_custom_startup_command: t.Boolean() })
export const ConfigRoutes = t.Object({ order: t.Array(RouteOrderItem, { maxItems: 100 }) })

/** `Deployment` as answered: every key present. */
export const Deployment = t.Object({
  dedicated: t.Boolean(),
  primary: t.Nullable(t.Object({ start_port: Port, end_port: Port, assign_to_variable: t.Nullable(t.String()) })),
  additional: t.Array(t.Object({ mode: AdditionalMode, assign_to_variable: t.Nullable(t.String()) })),
})
export const ConfigAllocations = t.Object({ user_self_assign: UserSelfAssign, deployment: Deployment })

/** `AdminApiEggConfiguration` (spec 02 §7.8). */
export const EggConfiguration = t.Object({
  uuid: E.uuid,
  name: t.String(),
  description: t.Nullable(t.String()),
  order: t.Integer(),
  eggs: t.Array(Uuid),
  config_allocations: t.Nullable(ConfigAllocations),
  config_startup: t.Nullable(ConfigStartup),
  config_routes: t.Nullable(ConfigRoutes),
  created: E.created,
})

/** What applies to one egg: each section from the last configuration listing it that sets one. */
export const MergedEggConfiguration = t.Object({
  config_allocations: t.Nullable(ConfigAllocations),
  config_startup: t.Nullable(ConfigStartup),
  config_routes: t.Nullable(ConfigRoutes),
})

export const Name = t.String({ minLength: 1, maxLength: 255 })
const Description = t.Nullable(t.String({ minLength: 1, maxLength: 1024 }))
const Order = t.Integer({ minimum: -32768, maximum: 32767, description: 'Merge order: lower first, later ones win' })
const Eggs = t.Array(Uuid, { maxItems: 100, description: 'Egg uuids; each must exist (duplicates are dropped)' })

export const CreateEggConfiguration = t.Object({
  name: Name,
  description: t.Optional(Description),
  order: Order,
  eggs: Eggs,
  config_allocations: t.Optional(t.Nullable(ConfigAllocationsInput)),
  config_startup: t.Optional(t.Nullable(ConfigStartup)),
  config_routes: t.Optional(t.Nullable(ConfigRoutes)),
})
export const UpdateEggConfiguration = t.Partial(CreateEggConfiguration)
export const DuplicateEggConfiguration = t.Object({ name: Name })
