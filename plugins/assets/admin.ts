import { Elysia, t } from 'elysia'
import { actorOf, pageParams, PageOf, type PluginContext } from 'hatchery'
import { DeleteBody, ListQuery, SearchBody, StorageAsset } from './model'
import { parseDirectory } from './service/names'
import { deleteAssets, listAssets, MAX_FILES_PER_UPLOAD, searchAssets, uploadAssets } from './service/assets'
import { currentStorage } from './service/storage'
import { readMultipart } from './service/multipart'

/** The largest `assets.max_upload_size` may be (Bun's request body limit in `main.ts`). */
export const UPLOAD_CEILING = 1024 * 1024 * 1024

/** `/api/admin/assets`: files the panel serves publicly (logos, banners), in the `storage_driver` storage. */
export function adminAssetRoutes(ctx: PluginContext) {
  const storage = () => currentStorage(ctx.settings, ctx.dataDir)
  return new Elysia({ prefix: '/assets', tags: ['admin assets'] })
    .use(ctx.guard)
    .get('', async ({ query }) => ({ assets: await listAssets(await storage(), parseDirectory(query.directory), pageParams(query)) }), {
      permission: 'admin:assets.read',
      query: ListQuery,
      response: { 200: t.Object({ assets: PageOf(StorageAsset) }) },
      detail: {
        summary: 'List a directory of assets',
        description:
          'Directories first, then files, each by name. A directory that does not exist (yet) is an empty page: the admin UI opens a new directory before uploading into it.',
      },
    })
    .put(
      '',
      async ({ principal, query, request }) => {
        const directory = parseDirectory(query.directory)
        const parts = await readMultipart(request, await ctx.settings.get('assets.max_upload_size'))
        return { assets: await uploadAssets(ctx.db, ctx.activity, actorOf(principal, request), await storage(), directory, parts) }
      },
      {
        permission: 'admin:assets.upload',
        rawBody: true,
        bodyLimit: UPLOAD_CEILING,
        timeout: 240,
        query: t.Object({ directory: ListQuery.properties.directory }),
        response: { 200: t.Object({ assets: t.Array(StorageAsset) }) },
        detail: {
          summary: 'Upload assets',
          description: `A \`multipart/form-data\` body; every part is a file (the admin UI names them \`files\`), up to ${MAX_FILES_PER_UPLOAD} per request, all together at most \`assets.max_upload_size\` bytes (default 100 MiB; 413 beyond). Each file is stored in \`directory\` under the last segment of its file name (a folder upload's \`folder/a.png\` becomes \`a.png\`, as in the reference) and replaces a file of that name. Every name is checked before anything is written: a part without a file name is 417 \`file name not found\`; a name with a backslash, a control character, \`.\`/\`..\` or over 255 bytes is 400 \`invalid file name\`; a directory where the file would go, or a file where a directory must be, is 409. Logs \`asset:upload\` (\`name\`, \`size\`) per file.`,
          requestBody: {
            required: true,
            content: {
              'multipart/form-data': {
                schema: { type: 'object', properties: { files: { type: 'array', items: { type: 'string', format: 'binary' } } } },
              },
            },
          },
        },
      },
    )
    .post(
      '/search',
      async ({ body }) => ({
        assets: await searchAssets(await storage(), parseDirectory(body.directory), body.search, body.per_page ?? 25),
      }),
      {
        permission: 'admin:assets.read',
        body: SearchBody,
        response: { 200: t.Object({ assets: t.Array(StorageAsset) }) },
        detail: {
          summary: 'Search assets by name',
          description:
            'Files and directories beneath `directory` (at any depth) whose own name contains `search`, ignoring case; directories first, then files, by name; at most `per_page`. Looks at the first 10 000 entries only.',
        },
      },
    )
    .post(
      '/delete',
      async ({ principal, body, request }) => ({
        deleted: await deleteAssets(ctx.db, ctx.activity, actorOf(principal, request), await storage(), body.names),
      }),
      {
        permission: 'admin:assets.delete',
        body: DeleteBody,
        response: { 200: t.Object({ deleted: t.Integer({ description: 'Files that existed and were deleted' }) }) },
        detail: {
          summary: 'Delete assets',
          description:
            'Deletes files by full name (`images/logo.png`); a directory goes away with its last file. Any invalid name refuses the whole request (400 `invalid file name`; the reference skips it); names that are no file are not counted. Logs `assets:delete` (`names`).',
        },
      },
    )
}
