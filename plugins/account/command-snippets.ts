import { Elysia, t } from 'elysia'
import { PageOf, PaginationQuery, pageParams, type PluginContext, actorOf } from 'hatchery'
import { CommandSnippet, Empty, SnippetCommand, SnippetEggs, SnippetName, Uuid } from './model'
import {
  createCommandSnippet,
  deleteCommandSnippet,
  duplicateCommandSnippet,
  listCommandSnippets,
  toCommandSnippet,
  updateCommandSnippet,
} from './service/command-snippets'

/** `/api/client/account/command-snippets`: saved console commands, offered per egg. */
export function commandSnippetRoutes(ctx: PluginContext) {
  const Params = t.Object({ command_snippet: Uuid })
  const max = () => ctx.settings.get('user.max_command_snippet_count')
  return new Elysia({ prefix: '/account/command-snippets', tags: ['command snippets'] })
    .use(ctx.guard)
    .get(
      '',
      async ({ principal, query }) => ({ command_snippets: await listCommandSnippets(ctx.db, principal.user.uuid, pageParams(query)) }),
      {
        permission: 'user:command-snippets.read',
        query: PaginationQuery,
        response: { 200: t.Object({ command_snippets: PageOf(CommandSnippet) }) },
        detail: { summary: 'List command snippets (search: name; oldest first)' },
      },
    )
    .post(
      '',
      async ({ principal, body, request }) => ({
        command_snippet: toCommandSnippet(await createCommandSnippet(ctx.db, ctx.activity, actorOf(principal, request), body, await max())),
      }),
      {
        permission: 'user:command-snippets.create',
        body: t.Object({ name: SnippetName, eggs: SnippetEggs, command: SnippetCommand }),
        response: { 200: t.Object({ command_snippet: CommandSnippet }) },
        detail: {
          summary: 'Create a command snippet',
          description: 'Limited by `user.max_command_snippet_count` (417); names are unique per account (409).',
        },
      },
    )
    .patch(
      '/:command_snippet',
      async ({ principal, params, body, request }) => {
        await updateCommandSnippet(ctx.db, ctx.activity, actorOf(principal, request), params.command_snippet, body)
        return {}
      },
      {
        permission: 'user:command-snippets.update',
        params: Params,
        body: t.Object({ name: t.Optional(SnippetName), eggs: t.Optional(SnippetEggs), command: t.Optional(SnippetCommand) }),
        response: { 200: Empty },
        detail: { summary: 'Update a command snippet', description: 'Absent fields stay.' },
      },
    )
    .delete(
      '/:command_snippet',
      async ({ principal, params, request }) => {
        await deleteCommandSnippet(ctx.db, ctx.activity, actorOf(principal, request), params.command_snippet)
        return {}
      },
      {
        permission: 'user:command-snippets.delete',
        params: Params,
        response: { 200: Empty },
        detail: { summary: 'Delete a command snippet' },
      },
    )
    .post(
      '/:command_snippet/duplicate',
      async ({ principal, params, body, request }) => ({
        command_snippet: toCommandSnippet(
          await duplicateCommandSnippet(ctx.db, ctx.activity, actorOf(principal, request), params.command_snippet, body.name, await max()),
        ),
      }),
      {
        permission: 'user:command-snippets.create',
        params: Params,
        body: t.Object({ name: SnippetName }),
        response: { 200: t.Object({ command_snippet: CommandSnippet }) },
        detail: {
          summary: 'Copy a command snippet under a new name',
          description: 'Counts against `user.max_command_snippet_count` like a create (417).',
        },
      },
    )
}
