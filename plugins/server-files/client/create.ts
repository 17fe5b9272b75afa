import { t } from 'elysia'
import { BadRequest, Empty, type PluginContext } from 'hatchery'
import { ArchiveFormat, DirectoryEntry, EmptyOrOperation, EntryOrOperation, Foreground, Names, PathField, Root } from '../model'
import { accepted, filesContext, TAG, UNREACHABLE } from '../service/context'
import { clientPath, forWings, underRoot } from '../service/paths'
import { filesCall } from '../service/wings'

/** Making things (spec 03 §5.4): create-directory, create-symlink, compress, decompress. */
export function createRoutes(ctx: PluginContext) {
  const files = filesContext(ctx)
  return ctx
    .scope('client:server')
    .post(
      '/files/create-directory',
      async (at) => {
        const { principal, access, resource: server, body } = at
        const hidden = files.hidden({ principal, access })
        const root = clientPath(body.root ?? '', 'root')
        const path = underRoot(root, body.name, 'name')
        if (path === root) throw new BadRequest('name: names no new directory')
        hidden.refuse(root, 'root directory not found')
        hidden.refuse(path, 'root directory not found')
        await filesCall(await files.wings(server), server.uuid, {
          method: 'POST',
          path: '/create-directory',
          body: { root: '/', name: forWings(path) },
          answer: t.Object({}),
        })
        await files.log(at, 'server:file.create-directory', { directory: body.root ?? '', name: body.name })
        return {}
      },
      {
        permission: 'server:files.create',
        body: t.Object({ root: Root, name: PathField }),
        response: { 200: Empty },
        detail: {
          ...TAG,
          summary: 'Create a directory',
          description: `Hidden root or name: 404 \`root directory not found\`. Logged as \`server:file.create-directory\`. ${UNREACHABLE}`,
        },
      },
    )
    .post(
      '/files/create-symlink',
      async (at) => {
        const { principal, access, resource: server, body } = at
        const hidden = files.hidden({ principal, access })
        const root = hidden.visible(body.root ?? '', 'root', 'root directory not found')
        const link = underRoot(root, body.link, 'link')
        if (link === '') throw new BadRequest('link: names the root')
        hidden.refuse(link, 'destination not found')
        const target = underRoot(link.split('/').slice(0, -1).join('/'), body.target, 'target')
        hidden.refuse(target, 'target not found')
        await filesCall(await files.wings(server), server.uuid, {
          method: 'POST',
          path: '/create-symlink',
          body: { root: forWings(root), link: forWings(link), target: forWings(target) },
          answer: t.Object({}),
        })
        await files.log(at, 'server:file.create-symlink', { directory: body.root ?? '', link: body.link, target: body.target })
        return {}
      },
      {
        permission: 'server:files.create',
        body: t.Object({ root: Root, link: PathField, target: PathField }),
        response: { 200: Empty },
        detail: {
          ...TAG,
          summary: 'Create a symbolic link',
          description: `\`target\` is absolute or relative to the link's folder; it must stay inside the server (400 otherwise). Hidden root: 404 \`root directory not found\`; hidden link: \`destination not found\`; hidden target: \`target not found\`. Logged as \`server:file.create-symlink\`. ${UNREACHABLE}`,
        },
      },
    )
    .post(
      '/files/compress',
      async (at) => {
        const { principal, access, resource: server, body, set } = at
        const hidden = files.hidden({ principal, access })
        const root = hidden.visible(body.root ?? '', 'root', 'root directory not found')
        const kept = body.files.map((name) => ({ name, path: underRoot(root, name) })).filter(({ path }) => !hidden.has(path))
        if (!kept.length) throw new BadRequest('files: nothing to compress')
        const name = body.name === undefined ? null : underRoot(root, body.name, 'name')
        if (name !== null) hidden.refuse(name, 'file not found')
        const answer = await filesCall(await files.wings(server), server.uuid, {
          method: 'POST',
          path: '/compress',
          body: {
            format: body.format ?? 'tar_gz',
            name: name === null ? null : forWings(name),
            root: forWings(root),
            files: kept.map(({ path }) => forWings(path)),
            foreground: body.foreground ?? false,
          },
          answer: EntryOrOperation,
        })
        await files.log(at, 'server:file.compress', { directory: body.root ?? '', name: body.name ?? null, files: kept.map((k) => k.name) })
        return accepted(set, answer, (done) => ({ entry: done }))
      },
      {
        permission: 'server:files.archive',
        body: t.Object({
          name: t.Optional(PathField),
          format: t.Optional(ArchiveFormat),
          root: Root,
          files: Names,
          foreground: Foreground,
        }),
        response: { 200: t.Object({ entry: DirectoryEntry }), 202: t.Object({ identifier: t.String() }) },
        detail: {
          ...TAG,
          summary: 'Compress files into an archive',
          description: `Hidden names are dropped (none left: 400); a hidden root: 404 \`root directory not found\`. \`foreground: false\` (default) may answer 202 \`{identifier}\`. Logged as \`server:file.compress\`. ${UNREACHABLE}`,
        },
      },
    )
    .post(
      '/files/decompress',
      async (at) => {
        const { principal, access, resource: server, body, set } = at
        const hidden = files.hidden({ principal, access })
        const root = hidden.visible(body.root ?? '', 'root', 'root directory not found')
        const file = underRoot(root, body.file, 'file')
        hidden.refuse(file, 'file not found')
        const answer = await filesCall(await files.wings(server), server.uuid, {
          method: 'POST',
          path: '/decompress',
          body: { root: forWings(root), file: forWings(file), foreground: body.foreground ?? false },
          answer: EmptyOrOperation,
        })
        await files.log(at, 'server:file.decompress', { directory: body.root ?? '', file: body.file })
        return accepted(set, answer, () => ({}))
      },
      {
        permission: 'server:files.archive',
        body: t.Object({ root: Root, file: PathField, foreground: Foreground }),
        response: { 200: Empty, 202: t.Object({ identifier: t.String() }) },
        detail: {
          ...TAG,
          summary: 'Extract an archive',
          description: `Into \`root\`. A background run answers 202 \`{identifier}\` (the reference answers 200 \`{}\`: its quirk). Hidden root or file: 404. Wings cannot extract what is hidden from the subuser only by its globs: extraction writes whatever the archive holds. Logged as \`server:file.decompress\`. ${UNREACHABLE}`,
        },
      },
    )
}
