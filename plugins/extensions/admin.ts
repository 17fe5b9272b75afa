import { Elysia, t } from 'elysia'
import { actorOf, type PluginContext } from 'hatchery'
import { ExtensionList, ExtensionParam } from './model'
import { listExtensions, setExtensionEnabled } from './service/extensions'

/** `GET /api/admin/extensions`, `PATCH /api/admin/extensions/{extension}`. */
export function extensionRoutes(ctx: PluginContext) {
  const ext = ctx.kernel.extensions
  return new Elysia({ prefix: '/extensions', tags: ['admin extensions'] })
    .use(ctx.guard)
    .get('', async () => listExtensions(ext, await ctx.settings.get('extensions.disabled')), {
      permission: 'admin:extensions.read',
      response: { 200: ExtensionList },
      detail: {
        summary: 'Installed plugins (extensions), bundled and external',
        description:
          "The reference's fields (`metadata_toml`, `package_name`, `description`, `authors`, `version`), then what Hatchery knows: whether it is enabled, what it depends on and what depends on it, its routes, permissions and jobs. `disabled` is what this process applies now, `pending_disabled` the stored list.",
      },
    })
    .patch(
      '/:extension',
      async ({ params, body, principal, request }) => {
        await setExtensionEnabled(ext, params.extension, body.enabled, (tx) =>
          ctx.activity.admin(tx, actorOf(principal, request), 'extension:toggle', {
            package_name: params.extension,
            enabled: body.enabled,
          }),
        )
        return { pending_restart: false }
      },
      {
        permission: 'admin:extensions.manage',
        params: ExtensionParam,
        body: t.Object({ enabled: t.Boolean() }),
        response: { 200: t.Object({ pending_restart: t.Boolean({ description: 'Always false: Hatchery applies the change at once' }) }) },
        detail: {
          summary: 'Enable or disable a plugin at run time',
          description:
            "Applied at once in this process and within 2 s in every other one, and kept across restarts. A disabled plugin's routes answer 404 like unknown ones, its jobs pause, its permissions stay valid on roles and keys but are not listed; its data stays. 409 when enabled plugins depend on it, when one of its own dependencies is disabled, or for `users`, `platform` and `extensions`, which stay on. Activity `extension:toggle`.",
        },
      },
    )
}
