import { Elysia, t } from 'elysia'
import { Empty, NotImplemented, type PluginContext } from 'hatchery'
import { ExtensionParam } from './model'

export const NOT_OFFERED =
  'uploading or removing extension code in a running panel is not offered; install plugins in PLUGINS_DIR and restart'

const refuse = (): never => {
  throw new NotImplemented(NOT_OFFERED)
}

const info = (summary: string) => ({
  summary,
  description: `Always 501: ${NOT_OFFERED}. The permission and the input are still checked first.`,
})

/**
 * `/api/admin/extensions/manage/*`: the reference builds uploaded extensions into a new binary in
 * its "heavy" container. Hatchery deliberately runs no uploaded code: a plugin is a folder in
 * `PLUGINS_DIR`, loaded at start.
 */
export function manageRoutes(ctx: PluginContext) {
  return new Elysia({ prefix: '/extensions/manage', tags: ['admin extensions'] })
    .use(ctx.guard)
    .put('/add', refuse, {
      permission: 'admin:extensions.manage',
      rawBody: true,
      query: t.Object({ accept_license: t.Optional(t.Boolean()) }),
      response: { 200: t.Object({}) },
      detail: info('Upload an extension archive'),
    })
    .delete('/:extension', refuse, {
      permission: 'admin:extensions.manage',
      params: ExtensionParam,
      body: t.Object({ remove_migrations: t.Boolean() }),
      response: { 200: Empty },
      detail: info('Remove an extension'),
    })
    .get('/status', refuse, {
      permission: 'admin:extensions.manage',
      response: { 200: t.Object({}) },
      detail: info('Status of an extension rebuild'),
    })
    .get('/logs', refuse, {
      permission: 'admin:extensions.manage',
      response: { 200: t.Object({}) },
      detail: info('Logs of an extension rebuild'),
    })
    .post('/rebuild', refuse, {
      permission: 'admin:extensions.manage',
      response: { 200: t.Object({}) },
      detail: info('Rebuild the panel with pending extensions'),
    })
    .post('/rebuild/cancel', refuse, {
      permission: 'admin:extensions.manage',
      response: { 200: t.Object({}) },
      detail: info('Cancel a rebuild'),
    })
    .post('/restart', refuse, {
      permission: 'admin:extensions.manage',
      response: { 200: t.Object({}) },
      detail: info('Restart the panel into a rebuilt binary'),
    })
}
