import { t } from 'elysia'
import { NotFound, type PluginContext } from 'hatchery'
import { Algorithm, DirectoryEntry, PathField, SortMode, WingsList } from '../model'
import { filesContext, TAG, UNREACHABLE } from '../service/context'
import { clientPath, forWings } from '../service/paths'
import { filesCall } from '../service/wings'

const Page = t.Object({ total: t.Integer(), per_page: t.Integer(), page: t.Integer(), data: t.Array(DirectoryEntry) })
const SearchBody = t.Object({
  root: t.Optional(PathField),
  path_filter: t.Optional(
    t.Object({
      include: t.Array(t.String({ maxLength: 1024 }), { maxItems: 100 }),
      exclude: t.Array(t.String({ maxLength: 1024 }), { maxItems: 100 }),
      case_insensitive: t.Boolean(),
    }),
  ),
  size_filter: t.Optional(t.Object({ min: t.Integer({ minimum: 0 }), max: t.Integer({ minimum: 0 }) })),
  content_filter: t.Optional(
    t.Object({
      query: t.String({ minLength: 1, maxLength: 1024 }),
      max_search_size: t.Integer({ minimum: 0 }),
      include_unmatched: t.Boolean(),
      case_insensitive: t.Boolean(),
    }),
  ),
})

/** Reading the tree (spec 03 §5.4): `GET …/files/list`, `largest-directories`, `fingerprint`, `POST …/files/search`. */
export function browseRoutes(ctx: PluginContext) {
  const files = filesContext(ctx)
  return ctx
    .scope('client:server')
    .get(
      '/files/list',
      async ({ principal, access, resource: server, query }) => {
        const hidden = files.hidden({ principal, access })
        const directory = hidden.visible(query.directory ?? '', 'directory', 'directory not found')
        const perPage = query.per_page ?? 25
        const page = query.page ?? 1
        const list = await filesCall(await files.wings(server), server.uuid, {
          method: 'GET',
          path: '/list',
          query: { directory: forWings(directory), ignored: hidden.patterns, per_page: perPage, page, sort: query.sort ?? 'name_asc' },
          answer: WingsList,
        })
        return {
          is_filesystem_primary: list.filesystem_primary ?? true,
          is_filesystem_writable: list.filesystem_writable ?? true,
          is_filesystem_fast: list.filesystem_fast ?? true,
          // Wings leaves out what `ignored` names; the panel checks again so a node that does not leaks nothing.
          entries: {
            total: list.total,
            per_page: perPage,
            page,
            data: list.entries.filter((e) => !hidden.has(clientPath(`${directory}/${e.name}`))),
          },
        }
      },
      {
        permission: 'server:files.read',
        query: t.Object({
          page: t.Optional(t.Integer({ minimum: 1, maximum: 1_000_000 })),
          per_page: t.Optional(t.Integer({ minimum: 1, maximum: 100 })),
          directory: t.Optional(PathField),
          sort: t.Optional(SortMode),
        }),
        response: {
          200: t.Object({
            is_filesystem_primary: t.Boolean(),
            is_filesystem_writable: t.Boolean(),
            is_filesystem_fast: t.Boolean(),
            entries: Page,
          }),
        },
        detail: {
          ...TAG,
          summary: 'List a directory',
          description: `Directories first, then files, in \`sort\` order (default \`name_asc\`), paged by Wings. A subuser's hidden directory is 404 \`directory not found\`; hidden entries are left out (the globs go to Wings as \`ignored\`). A path above the root is 400. ${UNREACHABLE}`,
        },
      },
    )
    .get(
      '/files/largest-directories',
      async ({ principal, access, resource: server, query }) => {
        const hidden = files.hidden({ principal, access })
        const directory = hidden.visible(query.directory ?? '', 'directory', 'directory not found')
        const found = await filesCall(await files.wings(server), server.uuid, {
          method: 'GET',
          path: '/largest-directories',
          query: { directory: forWings(directory), ignored: hidden.patterns },
          answer: t.Array(DirectoryEntry),
        })
        return { largest_directories: found.filter((e) => !hidden.has(clientPath(`${directory}/${e.name}`))) }
      },
      {
        permission: 'server:files.read',
        query: t.Object({ directory: t.Optional(PathField) }),
        response: { 200: t.Object({ largest_directories: t.Array(DirectoryEntry) }) },
        detail: {
          ...TAG,
          summary: 'The largest directories',
          description: `Hidden directory: 404 \`directory not found\`. ${UNREACHABLE}`,
        },
      },
    )
    .get(
      '/files/fingerprint',
      async ({ principal, access, resource: server, query }) => {
        const file = clientPath(query.file, 'file')
        files.hidden({ principal, access }).refuse(file, 'file not found')
        const { fingerprints } = await filesCall(await files.wings(server), server.uuid, {
          method: 'GET',
          path: '/fingerprints',
          query: { algorithm: query.algorithm, files: [forWings(file)] },
          answer: t.Object({ fingerprints: t.Record(t.String(), t.String()) }),
        })
        const fingerprint = fingerprints[forWings(file)] ?? Object.values(fingerprints)[0]
        if (fingerprint === undefined) throw new NotFound('file not found')
        return { fingerprint }
      },
      {
        permission: 'server:files.read-content',
        query: t.Object({ file: PathField, algorithm: Algorithm }),
        response: { 200: t.Object({ fingerprint: t.String() }) },
        detail: { ...TAG, summary: "A file's checksum", description: `Hidden or missing file: 404 \`file not found\`. ${UNREACHABLE}` },
      },
    )
    .post(
      '/files/search',
      async ({ principal, access, resource: server, body }) => {
        const hidden = files.hidden({ principal, access })
        const root = hidden.visible(body.root ?? '', 'root', 'root not found')
        const settings = await ctx.settings.snapshot()
        const pathFilter = body.path_filter ?? (hidden.empty ? undefined : { include: [], exclude: [], case_insensitive: false })
        if (pathFilter) pathFilter.exclude = [...pathFilter.exclude, ...hidden.patterns]
        const contentFilter = body.content_filter && {
          ...body.content_filter,
          max_search_size: Math.min(body.content_filter.max_search_size, settings.get('server.max_file_manager_content_search_size')),
        }
        const { results } = await filesCall(await files.wings(server), server.uuid, {
          method: 'POST',
          path: '/search',
          body: {
            root: forWings(root),
            path_filter: pathFilter ?? null,
            size_filter: body.size_filter ?? null,
            content_filter: contentFilter ?? null,
            per_page: settings.get('server.max_file_manager_search_results'),
          },
          answer: t.Object({ results: t.Array(DirectoryEntry) }),
        })
        // Wings applies the excludes; the panel checks again so a node that ignores them leaks nothing.
        return { entries: results.filter((e) => !hidden.has(clientPath(`${root}/${e.name}`, 'name'))) }
      },
      {
        permission: 'server:files.read',
        body: SearchBody,
        response: { 200: t.Object({ entries: t.Array(DirectoryEntry) }) },
        detail: {
          ...TAG,
          summary: 'Search files',
          description: `Under \`root\` by path globs, size and content (\`max_search_size\` capped at \`server.max_file_manager_content_search_size\`); at most \`server.max_file_manager_search_results\` entries. A subuser's hidden globs are added to \`path_filter.exclude\`; a hidden root is 404 \`root not found\`. ${UNREACHABLE}`,
        },
      },
    )
}
