import { Elysia, t } from 'elysia'
import { LimitExceeded, PageOf, PaginationQuery, Validation, pageParams, type PluginContext, actorOf } from 'hatchery'
import { Empty, ImportProvider, ImportUsername, PublicKey, SshKey, SshKeyName, Uuid } from './model'
import { KeyError, parsePublicKeyLine } from './service/ssh-key-parse'
import { fetchProviderKeys } from './service/ssh-key-import'
import { countSshKeys, createSshKey, deleteSshKey, importSshKeys, listSshKeys, toSshKey, updateSshKey } from './service/ssh-keys'

function parseOrReject(text: string) {
  try {
    return parsePublicKeyLine(text)
  } catch (e) {
    if (e instanceof KeyError) throw new Validation(`public_key: ${e.message}`)
    throw e
  }
}

/** `/api/client/account/ssh-keys`: list, add, import from GitHub/GitLab/Launchpad, rename, delete. */
export function sshKeyRoutes(ctx: PluginContext) {
  const Params = t.Object({ ssh_key: Uuid })
  return new Elysia({ prefix: '/account/ssh-keys', tags: ['ssh keys'] })
    .use(ctx.guard)
    .get('', async ({ principal, query }) => ({ ssh_keys: await listSshKeys(ctx.db, principal.user.uuid, pageParams(query)) }), {
      permission: 'user:ssh-keys.read',
      query: PaginationQuery,
      response: { 200: t.Object({ ssh_keys: PageOf(SshKey) }) },
      detail: { summary: 'List SSH keys (search: name; oldest first)' },
    })
    .post(
      '',
      async ({ principal, body, request }) => {
        const key = parseOrReject(body.public_key)
        const max = await ctx.settings.get('user.max_ssh_key_count')
        return { ssh_key: toSshKey(await createSshKey(ctx.db, ctx.activity, actorOf(principal, request), body.name, key, max)) }
      },
      {
        permission: 'user:ssh-keys.create',
        body: t.Object({ name: SshKeyName, public_key: PublicKey }),
        response: { 200: t.Object({ ssh_key: SshKey }) },
        detail: {
          summary: 'Add an SSH public key',
          description: 'Limited by `user.max_ssh_key_count` (417). 409 when the account already has a key with this name or this key.',
        },
      },
    )
    .post(
      '/import',
      async ({ principal, body, request }) => {
        const max = await ctx.settings.get('user.max_ssh_key_count')
        // Cheap early answer; the count that counts is taken again under the lock.
        if ((await countSshKeys(ctx.db, principal.user.uuid)) >= max) throw new LimitExceeded('maximum number of ssh keys reached')
        const urls = await ctx.settings.get('account.ssh_key_import_urls')
        const candidates = await fetchProviderKeys(body.provider, body.username, urls[body.provider])
        const rows = await importSshKeys(ctx.db, ctx.activity, actorOf(principal, request), body, candidates, max)
        return { ssh_keys: rows.map(toSshKey) }
      },
      {
        permission: 'user:ssh-keys.create',
        body: t.Object({ provider: ImportProvider, username: ImportUsername }),
        response: { 200: t.Object({ ssh_keys: t.Array(SshKey) }) },
        detail: {
          summary: "Import a GitHub, GitLab or Launchpad user's public keys",
          description:
            'Returns only the keys added. Keys the account already has and keys that cannot be parsed are skipped; at most `user.max_ssh_key_count` minus the current count are added (417 when there is no room). 417 `unable to fetch ssh keys from <provider>` when the provider cannot be reached or answers with anything but a key list (e.g. an unknown user).',
        },
      },
    )
    .patch(
      '/:ssh_key',
      async ({ principal, params, body, request }) => {
        await updateSshKey(ctx.db, ctx.activity, actorOf(principal, request), params.ssh_key, body)
        return {}
      },
      {
        permission: 'user:ssh-keys.update',
        params: Params,
        body: t.Object({ name: t.Optional(SshKeyName) }),
        response: { 200: Empty },
        detail: { summary: 'Rename an SSH key' },
      },
    )
    .delete(
      '/:ssh_key',
      async ({ principal, params, request }) => {
        await deleteSshKey(ctx.db, ctx.activity, actorOf(principal, request), params.ssh_key)
        return {}
      },
      { permission: 'user:ssh-keys.delete', params: Params, response: { 200: Empty }, detail: { summary: 'Delete an SSH key' } },
    )
}
