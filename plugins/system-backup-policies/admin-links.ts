import { Elysia, t, type TSchema } from 'elysia'
import type { TObject } from '@sinclair/typebox'
import {
  actorOf,
  Empty,
  PageOf,
  PaginationQuery,
  pageParams,
  transaction,
  uuidParam,
  type Db,
  type Page,
  type PageParams,
  type PluginContext,
} from 'hatchery'
import serversPlugin from '../servers'
import type { SystemBackupPoliciesApi } from './api'
import { AddLocation, AddNode, AddServer, PolicyBackupLink, PolicyLocation, PolicyNode, PolicyServer } from './model'
import { getPolicy } from './service/policies'
import {
  addLink,
  listPolicyBackupLinks,
  listPolicyLocations,
  listPolicyNodes,
  listPolicyServers,
  LOCATIONS,
  NODES,
  removeLink,
  SERVERS,
} from './service/links'

const Params = uuidParam('system_backup_policy')
const READ = 'admin:system-backup-policies.read' as const
const UPDATE = 'admin:system-backup-policies.update' as const

interface LinkRoutes {
  path: 'locations' | 'nodes' | 'servers'
  kind: typeof LOCATIONS
  body: TObject
  model: TSchema
  list: (db: Db, policyUuid: string, page: PageParams) => Promise<Page<unknown>>
}

/** GET (list), POST (link) and DELETE `/{x}` (unlink) for one kind of covered thing; events `system-backup-policy:x.create|delete`. */
function linkRoutes(ctx: PluginContext, spec: LinkRoutes): Elysia {
  const relation = spec.kind.relation
  const field = `${relation}_uuid`
  const ItemParams = t.Object({ ...Params.properties, ...uuidParam(relation).properties })
  const audit = (policy: string, uuid: string) => ({ system_backup_policy_uuid: policy, [field]: uuid })
  return new Elysia({ prefix: `/system-backup-policies/:system_backup_policy/${spec.path}`, tags: ['admin system backup policies'] })
    .use(ctx.guard)
    .get(
      '',
      async ({ params, query }) => {
        const policy = await getPolicy(ctx.db, params.system_backup_policy)
        return { [spec.path]: await spec.list(ctx.db, policy.uuid, pageParams(query)) } as never
      },
      {
        permission: READ,
        params: Params,
        query: PaginationQuery,
        response: { 200: t.Object({ [spec.path]: PageOf(spec.model) }) },
        detail: { summary: `The ${spec.path} a system backup policy covers (search: ${relation} name)` },
      },
    )
    .post(
      '',
      async ({ principal, params, body, request }) => {
        const uuid = ((body as Record<string, string>)[field] ?? '').toLowerCase()
        await transaction(ctx.db, async (tx) => {
          const policy = await getPolicy(tx, params.system_backup_policy)
          await addLink(tx, spec.kind, policy.uuid, uuid)
          await ctx.activity.admin(tx, actorOf(principal, request), `system-backup-policy:${relation}.create`, audit(policy.uuid, uuid))
        })
        return {}
      },
      {
        permission: [READ, UPDATE],
        params: Params,
        body: spec.body,
        response: { 200: Empty },
        detail: {
          summary: `Cover a ${relation} with a system backup policy`,
          description: `An unknown ${relation} is 400 \`\`invalid relation \`${relation}\` provided\`\`; a linked one 409 \`${relation} already exists in this system backup policy\`.`,
        },
      },
    )
    .delete(
      `/:${relation}`,
      async ({ principal, params, request }) => {
        await transaction(ctx.db, async (tx) => {
          const policy = await getPolicy(tx, params.system_backup_policy)
          const uuid = await removeLink(tx, spec.kind, policy.uuid, (params as Record<string, string>)[relation])
          await ctx.activity.admin(tx, actorOf(principal, request), `system-backup-policy:${relation}.delete`, audit(policy.uuid, uuid))
        })
        return {}
      },
      {
        permission: [READ, UPDATE],
        params: ItemParams,
        response: { 200: Empty },
        detail: { summary: `Stop covering a ${relation}`, description: `404 \`${relation} not found\` when the policy does not cover it.` },
      },
    ) as unknown as Elysia
}

/** `/api/admin/system-backup-policies/{policy}/locations|nodes|servers…` and `/backups`. */
export function adminPolicyLinkRoutes(ctx: PluginContext, api: SystemBackupPoliciesApi) {
  const backupModel = api.lists.model('backups', PolicyBackupLink)
  return new Elysia()
    .use(
      linkRoutes(ctx, {
        path: 'locations',
        kind: LOCATIONS,
        body: AddLocation,
        model: PolicyLocation,
        list: (db, p, page) => listPolicyLocations(db, ctx.secrets, p, page),
      }),
    )
    .use(
      linkRoutes(ctx, {
        path: 'nodes',
        kind: NODES,
        body: AddNode,
        model: PolicyNode,
        list: (db, p, page) => listPolicyNodes(db, ctx.secrets, p, page),
      }),
    )
    .use(
      linkRoutes(ctx, {
        path: 'servers',
        kind: SERVERS,
        body: AddServer,
        model: PolicyServer,
        list: async (db, p, page) => listPolicyServers(db, await ctx.api(serversPlugin).views(), p, page),
      }),
    )
    .use(
      new Elysia({ prefix: '/system-backup-policies/:system_backup_policy', tags: ['admin system backup policies'] }).use(ctx.guard).get(
        '/backups',
        async ({ params, query }) => {
          const policy = await getPolicy(ctx.db, params.system_backup_policy)
          const page = pageParams(query)
          const backups = api.lists.provided('backups')
            ? await api.lists.list('backups', ctx.db, policy.uuid, page)
            : await listPolicyBackupLinks(ctx.db, policy.uuid, page)
          return { backups } as never
        },
        {
          permission: [READ, 'admin:system-backup-policies.backups'],
          params: Params,
          query: PaginationQuery,
          response: { 200: t.Object({ backups: PageOf(backupModel) }) },
          detail: {
            summary: 'The backups a system backup policy started',
            description:
              'The backup objects once the backups plugin provides the list; until then the links (`uuid`, `server_uuid`, `slot`, `created`).',
          },
        },
      ),
    )
}
