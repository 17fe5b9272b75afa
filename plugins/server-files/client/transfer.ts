import { t } from 'elysia'
import { denied, Empty, LimitExceeded, NotFound, parseUuid, type PluginContext } from 'hatchery'
import { permitsServer, visibleServer } from '../../servers'
import { EmptyOrOperation, Foreground, Pairs, PathField, PullQueryResult, Root } from '../model'
import { accepted, filesContext, TAG, UNREACHABLE } from '../service/context'
import { clientPath, forWings, underRoot } from '../service/paths'
import { checkPullUrl } from '../service/pull-url'
import { TRANSFER_TOKEN_SECONDS, wingsToken } from '../service/tokens'
import { filesCall } from '../service/wings'

const Url = t.String({ minLength: 1, maxLength: 2048 })
const Accepted = { 200: Empty, 202: t.Object({ identifier: t.String() }) }

/** Files that cross a server's edge (spec 03 §5.4): copy-remote, pull, pull/query, and cancelling a background operation. */
export function transferRoutes(ctx: PluginContext) {
  const files = filesContext(ctx)
  const pullUrl = async (raw: string) => checkPullUrl(raw, { allowPrivate: await ctx.settings.get('outbound.allow_private_addresses') })
  return ctx
    .scope('client:server')
    .post(
      '/files/copy-remote',
      async (at) => {
        const { principal, access, resource: source, body, set } = at
        const other = await visibleServer(ctx.db, files.api(), principal, body.destination_server).catch((error) => {
          throw error instanceof NotFound ? new NotFound('destination server not found') : error
        })
        const target = other.server
        if (target.uuid === source.uuid) throw new LimitExceeded('cannot remote copy files to the same server')
        if (!permitsServer(principal, other.access, 'files.create')) throw denied('files.create')
        const hiddenHere = files.hidden({ principal, access })
        const hiddenThere = files.hidden({ principal, access: other.access })
        const root = clientPath(body.root ?? '', 'root')
        const destination = clientPath(body.destination, 'destination')
        hiddenHere.refuse(root, 'root directory not found')
        hiddenThere.refuse(destination, 'destination directory not found')
        const pairs = body.files.map(({ from, to }) => ({ from: underRoot(root, from), to: underRoot(destination, to, 'files') }))
        for (const { from, to } of pairs) if (hiddenHere.has(from) || hiddenThere.has(to)) throw new NotFound('file not found')
        const [wings, targetWings] = [await files.wings(source), await files.wings(target)]
        const sameNode = source.node_uuid === target.node_uuid
        const token = await wingsToken(targetWings, {
          scope: 'transfer',
          sub: target.uuid,
          jti: target.node_uuid,
          ttl: TRANSFER_TOKEN_SECONDS,
          server: source.uuid,
          root: forWings(root),
          destination_path: forWings(destination),
        })
        const answer = await filesCall(wings, source.uuid, {
          method: 'POST',
          path: '/copy-remote',
          body: {
            url: sameNode ? '' : `${targetWings.target.url.replace(/\/+$/, '')}/api/transfers/files`,
            token: `Bearer ${token}`,
            archive_format: sameNode ? 'tar' : 'tar_gz',
            compression_level: null,
            root: forWings(root),
            files: pairs.map(({ from, to }) => ({ from: forWings(from), to: forWings(to) })),
            destination_server: target.uuid,
            destination_path: forWings(destination),
            foreground: body.foreground ?? false,
          },
          answer: EmptyOrOperation,
        })
        const common = { directory: body.root ?? '', files: body.files, destination_path: body.destination }
        await files.log(at, 'server:file.copy-remote', { ...common, destination_server: target.uuid })
        await files.log(at, 'server:file.copy-remote', { ...common, source_server: source.uuid }, target, other.access)
        return accepted(set, answer, () => ({}))
      },
      {
        permission: 'server:files.read-content',
        body: t.Object({
          root: Root,
          files: Pairs,
          destination: PathField,
          destination_server: t.String({ minLength: 1, maxLength: 36 }),
          foreground: Foreground,
        }),
        response: Accepted,
        detail: {
          ...TAG,
          summary: 'Copy files to another of your servers',
          description: `Needs \`files.read-content\` here and \`files.create\` on \`destination_server\` (uuid or short id; not visible: 404 \`destination server not found\`; the same server: 417). Hidden root, destination or file on either side: 404. The source node gets a transfer token signed with the destination node's token (600 s). Logged as \`server:file.copy-remote\` on both servers. ${UNREACHABLE}`,
        },
      },
    )
    .post(
      '/files/pull',
      async (at) => {
        const { principal, access, resource: server, body, set } = at
        const hidden = files.hidden({ principal, access })
        const root = hidden.visible(body.root ?? '', 'root', 'root directory not found')
        const name = body.name === undefined ? null : underRoot(root, body.name, 'name')
        if (name !== null) hidden.refuse(name, 'root directory not found')
        const url = await pullUrl(body.url)
        await ctx.rateLimit('client_servers_files_pull', server.uuid)
        const answer = await filesCall(await files.wings(server), server.uuid, {
          method: 'POST',
          path: '/pull',
          body: {
            root: forWings(root),
            url,
            file_name: name === null ? null : name.split('/').pop(),
            use_header: body.use_header ?? false,
            foreground: body.foreground ?? false,
          },
          answer: EmptyOrOperation,
        })
        await files.log(at, 'server:file.pull', { directory: body.root ?? '', url: body.url })
        return accepted(set, answer, () => ({}))
      },
      {
        permission: 'server:files.create',
        body: t.Object({
          root: Root,
          url: Url,
          name: t.Optional(t.String({ minLength: 1, maxLength: 255 })),
          use_header: t.Optional(t.Boolean()),
          foreground: Foreground,
        }),
        response: Accepted,
        detail: {
          ...TAG,
          summary: 'Download a URL into the server',
          description: `http(s) only; the panel resolves the host and refuses private, loopback, link-local, metadata and CGNAT addresses (400) unless \`outbound.allow_private_addresses\` is on. Rate limit \`client_servers_files_pull\` per server (429). A background run answers 202 \`{identifier}\`. Logged as \`server:file.pull\`. ${UNREACHABLE}`,
        },
      },
    )
    .post(
      '/files/pull/query',
      async ({ resource: server, body }) => {
        const url = await pullUrl(body.url)
        await ctx.rateLimit('client_servers_files_pull_query', server.uuid)
        const result = await filesCall(await files.wings(server), server.uuid, {
          method: 'POST',
          path: '/pull/query',
          body: { url },
          answer: PullQueryResult,
        })
        return { query_result: result }
      },
      {
        permission: 'server:files.create',
        body: t.Object({ url: Url }),
        response: { 200: t.Object({ query_result: PullQueryResult }) },
        detail: {
          ...TAG,
          summary: 'What a URL would download',
          description: `The same URL checks as \`pull\`; rate limit \`client_servers_files_pull_query\` per server. ${UNREACHABLE}`,
        },
      },
    )
    .delete(
      '/files/operations/:operation',
      async (at) => {
        const { resource: server, params } = at
        const operation = parseUuid(params.operation, 'operation')
        await filesCall(await files.wings(server), server.uuid, {
          method: 'DELETE',
          path: `/operations/${operation}`,
          answer: t.Object({}),
        })
        await files.log(at, 'server:file.operation.cancel', { identifier: operation })
        return {}
      },
      {
        permission: 'server:files.update',
        params: t.Object({ server: t.String(), operation: t.String() }),
        response: { 200: Empty },
        detail: {
          ...TAG,
          summary: 'Cancel a background operation',
          description: `Logged as \`server:file.operation.cancel\`. ${UNREACHABLE}`,
        },
      },
    )
}
