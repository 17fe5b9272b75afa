import { Elysia, t } from 'elysia'
import {
  definePlugin,
  type Db,
  type Page,
  type PageParams,
  type PluginDescriptor,
  type PluginSettings,
  type Principal,
  type SettingsOf,
} from 'hatchery'
import users from '../users'
import * as tables from './tables'
import { sshKeyRoutes } from './ssh-keys'
import { commandSnippetRoutes } from './command-snippets'
import { serverGroupRoutes } from './server-groups'
import { avatarFileRoutes, avatarRoutes } from './avatar'
import { DEFAULT_IMPORT_URLS } from './service/ssh-key-import'
import { removeAvatarFiles } from './service/avatar'

const Url = t.String({ minLength: 1, maxLength: 255, format: 'uri' })

/**
 * Account self-service beyond the user record: SSH keys (with import from GitHub, GitLab and
 * Launchpad), command snippets, server groups, and the avatar (upload and public files).
 */
const settings = {
  'account.ssh_key_import_urls': {
    schema: t.Object({ github: Url, gitlab: Url, launchpad: Url }),
    default: DEFAULT_IMPORT_URLS,
    description: 'API base URLs the SSH key import asks (e.g. a self-hosted GitLab)',
  },
} satisfies PluginSettings

declare module 'hatchery' {
  interface Settings extends SettingsOf<typeof settings> {}
}

/** The servers of a server group, as the plugin owning servers lists them (an empty page until one does). */
export type GroupServerList = (db: Db, principal: Principal, page: PageParams, order: string[]) => Promise<Page<unknown>>

/**
 * What other plugins get from `ctx.api(account)`: the servers plugin provides the list behind
 * `GET /api/client/servers/groups/{server_group}` (account cannot depend on it: servers depends on account).
 * @example ctx.api(account).provideGroupServers((db, principal, page, order) => groupServers(db, principal, page, order))
 */
export class AccountApi {
  groupServers: GroupServerList | null = null
  provideGroupServers(list: GroupServerList): void {
    if (this.groupServers) throw new Error('account: the server-group list is already provided')
    this.groupServers = list
  }
}

const plugin: PluginDescriptor<AccountApi> = definePlugin<AccountApi>({
  name: 'account',
  version: '1.0.0',
  description: 'SSH keys, command snippets, server groups and avatars of an account',
  dependsOn: ['users'],
  tables,
  migrations: '../../migrations/account',
  // Creating a key says `name or fingerprint` for either index (`uniqueAs` in service/ssh-keys.ts).
  uniqueMessages: {
    user_ssh_keys_user_name_unique: 'ssh key with name already exists',
    user_ssh_keys_user_fingerprint_unique: 'ssh key with name or fingerprint already exists',
    user_command_snippets_user_name_unique: 'command snippet with name already exists',
  },
  settings,
  setup(ctx) {
    // A deleted user's avatar files go with them.
    ctx.api(users).deletionGuards.onDeleted((user) => removeAvatarFiles(ctx.dataDir, user.uuid))
    return new AccountApi()
  },
  routes: {
    client: (ctx) =>
      new Elysia()
        .use(sshKeyRoutes(ctx))
        .use(commandSnippetRoutes(ctx))
        .use(serverGroupRoutes(ctx, ctx.api(plugin)))
        .use(avatarRoutes(ctx)),
    root: (ctx) => avatarFileRoutes(ctx),
  },
})

export default plugin

export { tables }
export { CommandSnippet } from './model'
/** SSH key parsing for other plugins (the servers plugin's SFTP login matches a key's fingerprint). */
export { parsePublicKeyLine, KeyError, type ParsedKey } from './service/ssh-key-parse'
