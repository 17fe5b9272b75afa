import { Elysia, t } from 'elysia'
import { actorOf, Empty, PageOf, PaginationQueryNoSearch, pageParams, Uuid, type PluginContext } from 'hatchery'
import { userTransaction } from '../users'
import { OAuthLink } from './model'
import { deleteUserLink, getUserLink, listOwnLinks, toLink } from './service/links'

const Params = t.Object({ oauth_link: Uuid })

/** `/api/client/account/oauth-links`: the account's links (created only by the OAuth callback in link mode). */
export function clientLinkRoutes(ctx: PluginContext) {
  return new Elysia({ prefix: '/account/oauth-links', tags: ['oauth links'] })
    .use(ctx.guard)
    .get('', async ({ principal, query }) => ({ oauth_links: await listOwnLinks(ctx.db, principal.user.uuid, pageParams(query)) }), {
      permission: 'user:oauth-links.read',
      query: PaginationQueryNoSearch,
      response: { 200: t.Object({ oauth_links: PageOf(OAuthLink) }) },
      detail: { summary: 'List OAuth links (oldest first)', description: 'Only links of providers with `link_viewable`.' },
    })
    .get(
      '/:oauth_link',
      async ({ principal, params }) => ({ oauth_link: toLink(await getUserLink(ctx.db, principal.user.uuid, params.oauth_link)) }),
      {
        permission: 'user:oauth-links.read',
        params: Params,
        response: { 200: t.Object({ oauth_link: OAuthLink }) },
        detail: { summary: 'Get an OAuth link' },
      },
    )
    .delete(
      '/:oauth_link',
      async ({ principal, params, request }) => {
        await userTransaction(ctx.db, principal.user.uuid, async (tx) => {
          const { link, provider } = await deleteUserLink(tx, principal.user.uuid, params.oauth_link, { ownAccount: true })
          await ctx.activity.user(tx, actorOf(principal, request), 'oauth-link:delete', { uuid: link.uuid, oauth_provider: provider.name })
        })
        return {}
      },
      {
        permission: 'user:oauth-links.delete',
        params: Params,
        response: { 200: Empty },
        detail: {
          summary: 'Delete an OAuth link',
          description:
            'Only links of `user_manageable` providers (409 `you cannot unlink this oauth provider`); an admin removes the others.',
        },
      },
    )
}
