import { Elysia, t } from 'elysia'
import { Conflict, NotFound, Validation, readRawBody, type PluginContext, actorOf } from 'hatchery'
import { avatarUrl } from '../users'
import { Empty, Uuid } from './model'
import { CONTENT_TYPES, ImageError, inspectImage } from './service/image'
import { stripMetadata } from './service/metadata'
import { avatarFile, removeAvatar, setAvatar } from './service/avatar'

/** Largest avatar upload (413 beyond). */
export const AVATAR_LIMIT = 2 * 1024 * 1024

/** `PUT`/`DELETE /api/client/account/avatar`. */
export function avatarRoutes(ctx: PluginContext) {
  return new Elysia({ prefix: '/account/avatar', tags: ['account'] })
    .use(ctx.guard)
    .put(
      '',
      async ({ principal, request }) => {
        if (principal.user.frozen) throw new Conflict('account is frozen')
        const bytes = await readRawBody(request, AVATAR_LIMIT)
        let image
        let clean
        try {
          image = inspectImage(bytes)
          clean = stripMetadata(bytes, image.format)
        } catch (e) {
          throw e instanceof ImageError ? new Validation(`image: ${e.message}`) : e
        }
        const path = await setAvatar(ctx.db, ctx.activity, ctx.dataDir, actorOf(principal, request), clean, image)
        return { avatar: avatarUrl(path, await ctx.settings.snapshot())! }
      },
      {
        permission: 'user:account.avatar',
        rawBody: true,
        response: { 200: t.Object({ avatar: t.String({ description: 'Public URL of the new avatar' }) }) },
        detail: {
          summary: 'Upload an avatar',
          description:
            'The body is the image itself (up to 2 MiB; 413 beyond), PNG, JPEG or WebP, recognised by its bytes whatever the Content-Type, each side 64..4096 px. It is stored as uploaded but without its metadata (EXIF, XMP, IPTC, comments and text chunks: GPS positions must not become public), not resized or re-encoded, and served at the returned URL. 409 when the account is frozen.',
          requestBody: { required: true, content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } } },
        },
      },
    )
    .delete(
      '',
      async ({ principal, request }) => {
        await removeAvatar(ctx.db, ctx.activity, ctx.dataDir, actorOf(principal, request))
        return {}
      },
      {
        permission: 'user:account.avatar',
        response: { 200: Empty },
        detail: { summary: 'Remove the avatar', description: '400 `no avatar to delete` when there is none.' },
      },
    )
}

/** `GET /avatars/<user uuid>/<file>`: stored avatars, public, outside the API. */
export function avatarFileRoutes(ctx: PluginContext) {
  return new Elysia({ prefix: '/avatars', tags: ['account'] }).get(
    '/:user/:file',
    async ({ params }) => {
      const path = avatarFile(ctx.dataDir, `avatars/${params.user}/${params.file}`)
      const file = path ? Bun.file(path) : null
      if (!file || !(await file.exists())) throw new NotFound('avatar not found')
      const ext = params.file.slice(params.file.lastIndexOf('.') + 1) as keyof typeof CONTENT_TYPES
      return new Response(file, {
        headers: {
          'content-type': CONTENT_TYPES[ext],
          'x-content-type-options': 'nosniff',
          'content-security-policy': "default-src 'none'",
          // A new upload gets a new name, so a file never changes.
          'cache-control': 'public, max-age=31536000, immutable',
        },
      })
    },
    {
      params: t.Object({ user: Uuid, file: t.String({ pattern: '^[A-Za-z0-9]{8}\\.(png|jpg|webp)$' }) }),
      detail: { summary: 'An avatar image', description: 'Public; the URL comes from `avatar` in user objects.' },
    },
  )
}
