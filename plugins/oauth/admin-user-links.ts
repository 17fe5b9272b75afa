import { Elysia, t } from 'elysia'
import { actorOf, Empty, PageOf, PaginationQuery, pageParams, parseUuid, uuidParam, type PluginContext } from 'hatchery'
import { getUser, userTransaction } from '../users'
import { OAuthLink } from './model'
import { createUserLink, deleteUserLink, getUserLink, listUserLinks, toLink } from './service/links'

const Params = uuidParam('user')
const LinkParams = t.Object({ ...Params.properties, oauth_link: t.String({ format: 'uuid' }) })

/** `/api/admin/users/{user}/oauth-links`: a user's links, added and removed by hand. */
export function adminUserLinkRoutes(ctx: PluginContext) {
  const user = async (uuid: string) => (await getUser(ctx.db, parseUuid(uuid, 'user'))).user
  return new Elysia({ prefix: '/users/:user/oauth-links', tags: ['admin users'] })
    .use(ctx.guard)
    .get(
      '',
      async ({ params, query }) => ({ oauth_links: await listUserLinks(ctx.db, (await user(params.user)).uuid, pageParams(query)) }),
      {
        permission: 'admin:users.oauth-links',
        params: Params,
        query: PaginationQuery,
        response: { 200: t.Object({ oauth_links: PageOf(OAuthLink) }) },
        detail: { summary: "A user's OAuth links (search: identifier)" },
      },
    )
    .post(
      '',
      async ({ principal, params, body, request }) => {
        const target = await user(params.user)
        const row = await userTransaction(ctx.db, target.uuid, async (tx) => {
          const row = await createUserLink(tx, target.uuid, body.oauth_provider_uuid, body.identifier)
          await ctx.activity.admin(tx, actorOf(principal, request), 'user:oauth-links.create', {
            uuid: row.link.uuid,
            oauth_provider_uuid: row.provider.uuid,
            identifier: row.link.identifier,
          })
          return row
        })
        return { oauth_link: toLink(row) }
      },
      {
        permission: 'admin:users.oauth-links',
        params: Params,
        body: t.Object({ oauth_provider_uuid: t.String({ format: 'uuid' }), identifier: t.String({ minLength: 1, maxLength: 255 }) }),
        response: { 200: t.Object({ oauth_link: OAuthLink }) },
        detail: {
          summary: 'Link a user to a provider',
          description: '404 `oauth provider not found`; a provider already linked to the user, or the identifier to anyone: 409.',
        },
      },
    )
    .get(
      '/:oauth_link',
      async ({ params }) => ({ oauth_link: toLink(await getUserLink(ctx.db, (await user(params.user)).uuid, params.oauth_link)) }),
      {
        permission: 'admin:users.oauth-links',
        params: LinkParams,
        response: { 200: t.Object({ oauth_link: OAuthLink }) },
        detail: { summary: 'Get one of a user’s OAuth links' },
      },
    )
    .delete(
      '/:oauth_link',
      async ({ principal, params, request }) => {
        const target = await user(params.user)
        await userTransaction(ctx.db, target.uuid, async (tx) => {
          const { link } = await deleteUserLink(tx, target.uuid, params.oauth_link)
          await ctx.activity.admin(tx, actorOf(principal, request), 'user:oauth-link.delete', {
            oauth_link_uuid: link.uuid,
            oauth_provider_uuid: link.oauth_provider_uuid,
          })
        })
        return {}
      },
      {
        permission: 'admin:users.oauth-links',
        params: LinkParams,
        response: { 200: Empty },
        detail: { summary: 'Remove one of a user’s OAuth links' },
      },
    )
}
