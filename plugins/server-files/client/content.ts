import { t } from 'elysia'
import { BadRequest, Empty, HttpError, readRawBody, type PluginContext } from 'hatchery'
import { Names, PathField, Root, StreamableFormat } from '../model'
import { filesContext, TAG, UNREACHABLE } from '../service/context'
import { clientPath, forWings, underRoot } from '../service/paths'
import { browserUrl, URL_TOKEN_SECONDS, wingsToken } from '../service/tokens'
import { rawCall, viewLimit } from '../service/wings'

/** The largest write the route lets through to its own check (the setting decides below it). */
const WRITE_CEILING = 1024 * 1024 * 1024
const tooLarge = () => new HttpError(413, 'file size exceeds limit')

/** File bytes (spec 03 §5.4): `GET …/files/contents`, `POST …/files/write`, and the signed `download` / `upload` URLs. */
export function contentRoutes(ctx: PluginContext) {
  const files = filesContext(ctx)
  return ctx
    .scope('client:server')
    .get(
      '/files/contents',
      async (at) => {
        const { principal, access, resource: server, query } = at
        const file = clientPath(query.file, 'file')
        files.hidden({ principal, access }).refuse(file, 'file not found')
        const limit = viewLimit(await ctx.settings.snapshot())
        let answer: Response
        try {
          answer = await rawCall(await files.wings(server), server.uuid, {
            method: 'GET',
            path: '/contents',
            query: { file: forWings(file), max_size: limit },
          })
        } catch (error) {
          if (error instanceof HttpError && error.status === 413) throw tooLarge()
          throw error
        }
        await files.log(at, 'server:file.read-content', { file: query.file })
        const headers: Record<string, string> = {}
        const length = answer.headers.get('content-length')
        if (length) headers['content-length'] = length
        return new Response(answer.body, { headers })
      },
      {
        permission: 'server:files.read-content',
        query: t.Object({ file: PathField }),
        timeout: false,
        documents: t.String(),
        detail: {
          ...TAG,
          summary: "A file's contents",
          description: `The raw bytes. Larger than \`server.max_file_manager_view_size\`: 413 \`file size exceeds limit\`; a hidden or missing file: 404 \`file not found\`. Logged as \`server:file.read-content\`. ${UNREACHABLE}`,
        },
      },
    )
    .post(
      '/files/write',
      async (at) => {
        const { principal, access, resource: server, query, request } = at
        const file = clientPath(query.file, 'file')
        if (file === '') throw new BadRequest('file: names the root')
        files.hidden({ principal, access }).refuse(file, 'file not found')
        const limit = viewLimit(await ctx.settings.snapshot())
        const declared = Number(request.headers.get('content-length'))
        if (Number.isFinite(declared) && declared > limit) throw tooLarge()
        let body: Uint8Array
        try {
          body = await readRawBody(request, limit)
        } catch (error) {
          if (error instanceof HttpError && error.status === 413) throw tooLarge()
          throw error
        }
        const answer = await rawCall(await files.wings(server), server.uuid, {
          method: 'POST',
          path: '/write',
          query: { file: forWings(file), user: principal.user.uuid },
          body,
        })
        const written = (await answer.json().catch(() => ({}))) as { revision_id?: number | null }
        await files.log(at, 'server:file.write', { file: query.file, revision_id: written.revision_id ?? null })
        return {}
      },
      {
        permission: 'server:files.create',
        query: t.Object({ file: PathField }),
        rawBody: true,
        bodyLimit: WRITE_CEILING,
        response: { 200: Empty },
        detail: {
          ...TAG,
          summary: 'Write a file',
          description: `The raw request body (any content type) becomes the file. Larger than \`server.max_file_manager_view_size\`: 413 \`file size exceeds limit\` (at once when \`Content-Length\` says so). A hidden file: 404 \`file not found\`. Logged as \`server:file.write\`. ${UNREACHABLE}`,
        },
      },
    )
    .get(
      '/files/download',
      async (at) => {
        const { principal, access, resource: server, query } = at
        const hidden = files.hidden({ principal, access })
        const root = clientPath(query.root ?? '', 'root')
        const paths = query.files.map((f) => underRoot(root, f))
        for (const path of paths) hidden.refuse(path, 'file not found')
        const wings = await files.wings(server)
        const format = query.archive_format ?? 'tar_gz'
        const common = { scope: 'file-download', jti: principal.user.uuid, ttl: URL_TOKEN_SECONDS, oneShot: true, server_uuid: server.uuid }
        const url =
          paths.length === 1
            ? browserUrl(wings, query.directory ? '/download/directory' : '/download/file', {
                token: await wingsToken(wings, { ...common, file_path: forWings(paths[0]) }),
                archive_format: format,
              })
            : browserUrl(wings, '/download/files', {
                token: await wingsToken(wings, { ...common, file_path: forWings(root), file_paths: paths.map(forWings) }),
                archive_format: format,
              })
        await files.log(at, 'server:file.download', { directory: query.root ?? '', files: query.files })
        return { url }
      },
      {
        permission: 'server:files.read-content',
        query: t.Object({
          root: Root,
          files: t.Array(PathField, { minItems: 1, maxItems: Names.maxItems }),
          directory: t.Optional(t.Boolean()),
          archive_format: t.Optional(StreamableFormat),
        }),
        response: { 200: t.Object({ url: t.String() }) },
        detail: {
          ...TAG,
          summary: 'A download URL',
          description:
            'A one-shot URL on the node (`/download/file`, `/download/directory` or `/download/files`) with an HS256 JWT signed with the node token, valid 900 s. Any hidden file: 404 `file not found`. Logged as `server:file.download`.',
        },
      },
    )
    .get(
      '/files/upload',
      async ({ principal, access, resource: server }) => {
        const wings = await files.wings(server)
        const token = await wingsToken(wings, {
          scope: 'file-upload',
          jti: principal.user.uuid,
          ttl: URL_TOKEN_SECONDS,
          oneShot: true,
          server_uuid: server.uuid,
          user_uuid: principal.user.uuid,
          ignored_files: files.hidden({ principal, access }).patterns,
        })
        return { url: browserUrl(wings, '/upload/file', { token }) }
      },
      {
        permission: 'server:files.create',
        response: { 200: t.Object({ url: t.String() }) },
        detail: {
          ...TAG,
          summary: 'An upload URL',
          description:
            "A one-shot `/upload/file` URL on the node, valid 900 s; the token carries the subuser's hidden globs, which Wings enforces.",
        },
      },
    )
}
