import { Elysia, t } from 'elysia'
import { actorOf, Empty, transaction, type PluginContext } from 'hatchery'
import { CreateVariable, DuplicateVariable, NestEggVariable, UpdateVariable, VariableOrder } from './model'
import {
  createVariable,
  deleteVariable,
  duplicateVariable,
  listVariables,
  orderVariables,
  toAdminVariable,
  updateVariable,
  variableAudit,
} from './service/variables'
import { EggParams, eggOf, EGGS_READ, NESTS_READ, VariableParams } from './params'

const One = t.Object({ variable: NestEggVariable })
const UPDATE = [NESTS_READ, EGGS_READ, 'admin:eggs.update'] as const
const RULES = 'Each rule must be a supported Laravel-style rule with well-formed arguments (spec 02 §7.4), else 400 `rules: <problem>`.'

/** `/api/admin/nests/{nest}/eggs/{egg}/variables`: an egg's startup variables. */
export function adminVariableRoutes(ctx: PluginContext) {
  return new Elysia({ prefix: '/nests/:nest/eggs/:egg/variables', tags: ['admin nests'] })
    .use(ctx.guard)
    .get(
      '',
      async ({ params }) => ({ variables: (await listVariables(ctx.db, (await eggOf(ctx.db, params)).uuid)).map(toAdminVariable) }),
      {
        permission: [NESTS_READ, EGGS_READ],
        params: EggParams,
        response: { 200: t.Object({ variables: t.Array(NestEggVariable) }) },
        detail: { summary: "An egg's variables", description: 'Not paginated; by `order`, then creation.' },
      },
    )
    .post(
      '',
      async ({ principal, params, body, request }) => {
        const row = await transaction(ctx.db, async (tx) => {
          const egg = await eggOf(tx, params)
          const row = await createVariable(tx, egg, body)
          await ctx.activity.admin(tx, actorOf(principal, request), 'nest:egg.variable.create', variableAudit(egg, row))
          return row
        })
        return { variable: toAdminVariable(row) }
      },
      {
        permission: [...UPDATE],
        params: EggParams,
        body: CreateVariable,
        response: { 200: One },
        detail: {
          summary: 'Create a variable',
          description: `A taken \`env_variable\` is 409 \`variable with name already exists\`. ${RULES}`,
        },
      },
    )
    .put(
      '/order',
      async ({ principal, params, body, request }) => {
        await transaction(ctx.db, async (tx) => {
          const egg = await eggOf(tx, params, true)
          await orderVariables(tx, egg, body.variable_order)
          await ctx.activity.admin(tx, actorOf(principal, request), 'nest:egg.variable.update-order', {
            nest_uuid: egg.nest_uuid,
            egg_uuid: egg.uuid,
            variable_order: body.variable_order,
          })
        })
        return {}
      },
      {
        permission: [...UPDATE],
        params: EggParams,
        body: VariableOrder,
        response: { 200: Empty },
        detail: {
          summary: 'Order the variables',
          description: 'Each listed variable of the egg gets its 1-based position as `order`; others are left alone.',
        },
      },
    )
    .patch(
      '/:variable',
      async ({ principal, params, body, request }) => {
        await transaction(ctx.db, async (tx) => {
          const egg = await eggOf(tx, params)
          const row = await updateVariable(tx, egg, params.variable, body)
          await ctx.activity.admin(tx, actorOf(principal, request), 'nest:egg.variable.update', variableAudit(egg, row))
        })
        return {}
      },
      {
        permission: [...UPDATE],
        params: VariableParams,
        body: UpdateVariable,
        response: { 200: Empty },
        detail: {
          summary: 'Update a variable',
          description: `Absent fields stay; null clears \`description\` and \`default_value\`. ${RULES}`,
        },
      },
    )
    .delete(
      '/:variable',
      async ({ principal, params, request }) => {
        await transaction(ctx.db, async (tx) => {
          const egg = await eggOf(tx, params)
          const row = await deleteVariable(tx, egg, params.variable)
          await ctx.activity.admin(tx, actorOf(principal, request), 'nest:egg.variable.delete', {
            uuid: row.uuid,
            nest_uuid: egg.nest_uuid,
            egg_uuid: egg.uuid,
            name: row.name,
            env_variable: row.env_variable,
          })
        })
        return {}
      },
      { permission: [...UPDATE], params: VariableParams, response: { 200: Empty }, detail: { summary: 'Delete a variable' } },
    )
    .post(
      '/:variable/duplicate',
      async ({ principal, params, body, request }) => {
        const copy = await transaction(ctx.db, async (tx) => {
          const egg = await eggOf(tx, params)
          const { source, copy } = await duplicateVariable(tx, egg, params.variable, body)
          await ctx.activity.admin(tx, actorOf(principal, request), 'nest:egg.variable.duplicate', {
            uuid: copy.uuid,
            nest_uuid: egg.nest_uuid,
            egg_uuid: egg.uuid,
            source_uuid: source.uuid,
            source_name: source.name,
            name: copy.name,
            env_variable: copy.env_variable,
          })
          return copy
        })
        return { variable: toAdminVariable(copy) }
      },
      {
        permission: [...UPDATE],
        params: VariableParams,
        body: DuplicateVariable,
        response: { 200: One },
        detail: {
          summary: 'Copy a variable under a new name and env variable',
          description: '409 `variable with name or env variable already exists`.',
        },
      },
    )
}
