import { t } from 'elysia'
import { BadRequest, type PluginContext } from 'hatchery'
import { DirectoryEntry, EntryOrOperation, Foreground, Names, Pairs, PathField, Root, WingsCopied } from '../model'
import { accepted, filesContext, TAG, UNREACHABLE } from '../service/context'
import { clientPath, forWings, underRoot, type Hidden } from '../service/paths'
import { filesCall } from '../service/wings'

/** The pairs whose both ends are visible, as Wings gets them (absolute, normalised) and as the client sent them. */
export function visiblePairs(hidden: Hidden, root: string, pairs: { from: string; to: string }[]) {
  const kept = pairs
    .map((pair) => ({ pair, from: underRoot(root, pair.from), to: underRoot(root, pair.to) }))
    .filter(({ from, to }) => !hidden.has(from) && !hidden.has(to))
  return { wire: kept.map(({ from, to }) => ({ from: forWings(from), to: forWings(to) })), sent: kept.map(({ pair }) => pair) }
}

/** The names that are visible, as Wings gets them and as the client sent them. */
function visibleNames(hidden: Hidden, root: string, names: string[]) {
  const kept = names.map((name) => ({ name, path: underRoot(root, name) })).filter(({ path }) => !hidden.has(path))
  return { wire: kept.map(({ path }) => forWings(path)), sent: kept.map(({ name }) => name) }
}

const Mode = t.String({ pattern: '^[0-7]{3}$', error: 'must be a 3-digit octal string' })

/** Changing the tree (spec 03 §5.4): rename, copy, copy-many, delete, chmod. Hidden entries of a batch are dropped. */
export function changeRoutes(ctx: PluginContext) {
  const files = filesContext(ctx)
  return ctx
    .scope('client:server')
    .put(
      '/files/rename',
      async (at) => {
        const { principal, access, resource: server, body } = at
        const root = clientPath(body.root ?? '', 'root')
        const { wire, sent } = visiblePairs(files.hidden({ principal, access }), root, body.files)
        const { renamed } = wire.length
          ? await filesCall(await files.wings(server), server.uuid, {
              method: 'PUT',
              path: '/rename',
              body: { root: forWings(root), files: wire },
              answer: t.Object({ renamed: t.Integer() }),
            })
          : { renamed: 0 }
        await files.log(at, 'server:file.rename', { directory: body.root ?? '', files: sent })
        return { renamed }
      },
      {
        permission: 'server:files.update',
        body: t.Object({ root: Root, files: Pairs }),
        response: { 200: t.Object({ renamed: t.Integer() }) },
        detail: {
          ...TAG,
          summary: 'Rename or move files',
          description: `Each \`{from, to}\` under \`root\` (an absolute name replaces it); pairs touching a hidden path are dropped. At most 1000 pairs. Logged as \`server:file.rename\`. ${UNREACHABLE}`,
        },
      },
    )
    .post(
      '/files/copy',
      async (at) => {
        const { principal, access, resource: server, body, set } = at
        const hidden = files.hidden({ principal, access })
        const path = hidden.visible(body.path, 'path', 'file not found')
        if (path === '') throw new BadRequest('path: names the root')
        const destination =
          body.destination === undefined ? null : underRoot(path.split('/').slice(0, -1).join('/'), body.destination, 'destination')
        if (destination !== null) hidden.refuse(destination, 'file not found')
        const answer = await filesCall(await files.wings(server), server.uuid, {
          method: 'POST',
          path: '/copy',
          body: {
            path: forWings(path),
            name: destination === null ? null : forWings(destination),
            overwrite: body.overwrite ?? false,
            foreground: body.foreground ?? false,
          },
          answer: EntryOrOperation,
        })
        await files.log(at, 'server:file.copy', { path: body.path, name: body.destination ?? null })
        return accepted(set, answer, (done) => ({ entry: done }))
      },
      {
        permission: 'server:files.create',
        body: t.Object({ path: PathField, destination: t.Optional(PathField), overwrite: t.Optional(t.Boolean()), foreground: Foreground }),
        response: { 200: t.Object({ entry: DirectoryEntry }), 202: t.Object({ identifier: t.String() }) },
        detail: {
          ...TAG,
          summary: 'Copy a file',
          description: `\`destination\` is relative to the file's folder (default: a \`copy\` name Wings picks). Hidden path or destination: 404 \`file not found\`. \`foreground: false\` (default) may answer 202 \`{identifier}\`. Logged as \`server:file.copy\`. ${UNREACHABLE}`,
        },
      },
    )
    .post(
      '/files/copy-many',
      async (at) => {
        const { principal, access, resource: server, body, set } = at
        const root = clientPath(body.root ?? '', 'root')
        const { wire, sent } = visiblePairs(files.hidden({ principal, access }), root, body.files)
        const answer = wire.length
          ? await filesCall(await files.wings(server), server.uuid, {
              method: 'POST',
              path: '/copy-many',
              body: { root: forWings(root), files: wire, overwrite: body.overwrite ?? false, foreground: body.foreground ?? false },
              answer: WingsCopied,
            })
          : { copied: 0, skipped: [] }
        await files.log(at, 'server:file.copy-many', { directory: body.root ?? '', files: sent })
        if ('identifier' in answer) {
          set.status = 202
          return { identifier: answer.identifier, skipped: answer.skipped ?? [] }
        }
        return answer
      },
      {
        permission: 'server:files.create',
        body: t.Object({ root: Root, files: Pairs, overwrite: t.Optional(t.Boolean()), foreground: Foreground }),
        response: {
          200: t.Object({ copied: t.Integer(), skipped: t.Array(DirectoryEntry) }),
          202: t.Object({ identifier: t.String(), skipped: t.Array(DirectoryEntry) }),
        },
        detail: {
          ...TAG,
          summary: 'Copy many files',
          description: `Pairs touching a hidden path are dropped; at most 1000 pairs (more: 400 at once). Logged as \`server:file.copy-many\`. ${UNREACHABLE}`,
        },
      },
    )
    .post(
      '/files/delete',
      async (at) => {
        const { principal, access, resource: server, body } = at
        const root = clientPath(body.root ?? '', 'root')
        const { wire, sent } = visibleNames(files.hidden({ principal, access }), root, body.files)
        const { deleted } = wire.length
          ? await filesCall(await files.wings(server), server.uuid, {
              method: 'POST',
              path: '/delete',
              body: { root: forWings(root), files: wire },
              answer: t.Object({ deleted: t.Integer() }),
            })
          : { deleted: 0 }
        await files.log(at, 'server:file.delete', { directory: body.root ?? '', files: sent })
        return { deleted }
      },
      {
        permission: 'server:files.delete',
        body: t.Object({ root: Root, files: Names }),
        response: { 200: t.Object({ deleted: t.Integer() }) },
        detail: {
          ...TAG,
          summary: 'Delete files',
          description: `Hidden names are dropped. Logged as \`server:file.delete\`. ${UNREACHABLE}`,
        },
      },
    )
    .put(
      '/files/chmod',
      async (at) => {
        const { principal, access, resource: server, body } = at
        const root = clientPath(body.root ?? '', 'root')
        const hidden = files.hidden({ principal, access })
        const kept = body.files.map((f) => ({ ...f, path: underRoot(root, f.file) })).filter(({ path }) => !hidden.has(path))
        const { updated } = kept.length
          ? await filesCall(await files.wings(server), server.uuid, {
              method: 'POST',
              path: '/chmod',
              body: {
                root: forWings(root),
                files: kept.map((f) => ({ file: forWings(f.path), mode: f.mode, recursive: f.recursive ?? false })),
              },
              answer: t.Object({ updated: t.Integer() }),
            })
          : { updated: 0 }
        const sent = kept.map(({ file, mode, recursive }) => ({ file, mode, recursive: recursive ?? false }))
        await files.log(at, 'server:file.chmod', { directory: body.root ?? '', files: sent })
        return { updated }
      },
      {
        permission: 'server:files.update',
        body: t.Object({
          root: Root,
          files: t.Array(t.Object({ file: PathField, mode: Mode, recursive: t.Optional(t.Boolean()) }), {
            minItems: 1,
            maxItems: Names.maxItems,
          }),
        }),
        response: { 200: t.Object({ updated: t.Integer() }) },
        detail: {
          ...TAG,
          summary: 'Change file modes',
          description: `Hidden names are dropped. Logged as \`server:file.chmod\`. ${UNREACHABLE}`,
        },
      },
    )
}
