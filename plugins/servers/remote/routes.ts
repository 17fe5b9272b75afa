import { Elysia } from 'elysia'
import { Empty, transaction, type PluginContext } from 'hatchery'
import type { ServersApi } from '../api'
import { nodeDocuments, resetNode } from '../service/remote-servers'
import { authenticateSftp } from '../service/remote-sftp'
import { recordNodeActivity } from '../service/server-activity'
import { ActivityBatch, RemotePageQuery, RemoteServerPage, SftpGrant, SftpLogin } from './model'

const tags = ['remote']
const NODE = 'Called by Wings with `Authorization: Bearer <token_id>.<token>` (401 `invalid authorization header` / `invalid token`).'

/** `/api/remote` routes that are not about one server (spec 04 §3.2). */
export function remoteRoutes(ctx: PluginContext, api: ServersApi) {
  return new Elysia({ tags })
    .use(ctx.guard)
    .get(
      '/servers',
      ({ remote, query }) => {
        const page = query.page ?? 1
        const perPage = query.per_page ?? 25
        return nodeDocuments(ctx.db, remote.node, { page, perPage, offset: (page - 1) * perPage }, (db, row) => api.document(db, row))
      },
      {
        remote: true,
        query: RemotePageQuery,
        documents: RemoteServerPage,
        detail: {
          summary: "The configurations of the node's servers (Wings' boot)",
          description: `Oldest first; Wings pages until \`current_page ≥ last_page\`. ${NODE}`,
        },
      },
    )
    .post(
      '/servers/reset',
      async ({ remote }) => {
        await resetNode(ctx.db, remote.node, api.nodeResetHooks, (node) => api.wings(node), ctx.log)
        return {}
      },
      {
        remote: true,
        response: { 200: Empty },
        detail: {
          summary: 'A node booted: reset what it was doing',
          description: `Servers restoring a backup become \`backup_restore_failed\` (installs are left: Wings resumes them); transfers from or to the node are abandoned (their allocations off the source released, the destination's copy deleted in the background). ${NODE}`,
        },
      },
    )
    .post(
      '/activity',
      async ({ remote, body }) => {
        const schedules = await ctx.settings.get('activity.server_log_schedule_activity')
        await transaction(ctx.db, (tx) => recordNodeActivity(tx, remote.node.uuid, body.data, schedules))
        return {}
      },
      {
        remote: true,
        body: ActivityBatch,
        response: { 200: Empty },
        detail: {
          summary: 'Server activity recorded by the node',
          description: `Stored with Wings' timestamps. Entries of servers not on the node are dropped, schedule entries too unless \`activity.server_log_schedule_activity\`. ${NODE}`,
        },
      },
    )
    .post(
      '/sftp/auth',
      async ({ remote, body }) => {
        await ctx.rateLimit('remote_sftp_auth', remote.node.uuid)
        return authenticateSftp(ctx.db, remote.node.uuid, body, api.subusers, await ctx.settings.snapshot())
      },
      {
        remote: true,
        body: SftpLogin,
        response: { 200: SftpGrant },
        detail: {
          summary: 'An SFTP login on the node',
          description: `\`username\` is \`<panel username>.<server short id or uuid>\`; a password or a public key of the user's SSH keys. 417 \`invalid username\`, \`user not found\`, \`invalid public key\`, \`user is suspended\`; 404 \`server not found\` (not the user's, or on another node). Rate limit \`remote_sftp_auth\` per node. ${NODE}`,
        },
      },
    )
}
