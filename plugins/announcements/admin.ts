import { Elysia, t } from 'elysia'
import { actorOf, emit, Empty, PageOf, PaginationQuery, pageParams, transaction, uuidParam, type PluginContext } from 'hatchery'
import { AdminAnnouncement, CreateAnnouncement, UpdateAnnouncement } from './model'
import {
  announcementAudit,
  createAnnouncement,
  deleteAnnouncement,
  duplicateAnnouncement,
  getAnnouncement,
  listAnnouncements,
  toAdminAnnouncement,
  updateAnnouncement,
} from './service/announcements'

/** Emitted in every admin change's transaction; the public list forgets its cache after the commit. */
export const ANNOUNCEMENTS_CHANGED = 'announcements.changed'

const Params = uuidParam('announcement')
const One = t.Object({ announcement: AdminAnnouncement })

/** `/api/admin/announcements`: CRUD and duplicate (spec 02 §13). */
export function adminAnnouncementRoutes(ctx: PluginContext) {
  return new Elysia({ prefix: '/announcements', tags: ['admin announcements'] })
    .use(ctx.guard)
    .get('', async ({ query }) => ({ announcements: await listAnnouncements(ctx.db, pageParams(query)) }), {
      permission: 'admin:announcements.read',
      query: PaginationQuery,
      response: { 200: t.Object({ announcements: PageOf(AdminAnnouncement) }) },
      detail: { summary: 'List announcements (search: title), oldest first' },
    })
    .post(
      '',
      async ({ principal, body, request }) => {
        const row = await transaction(ctx.db, async (tx) => {
          const row = await createAnnouncement(tx, body)
          await ctx.activity.admin(tx, actorOf(principal, request), 'announcement:create', announcementAudit(row))
          await emit(tx, ANNOUNCEMENTS_CHANGED, {})
          return row
        })
        return { announcement: toAdminAnnouncement(row) }
      },
      {
        permission: 'admin:announcements.create',
        body: CreateAnnouncement,
        response: { 200: One },
        detail: {
          summary: 'Create an announcement',
          description: 'Every field is required; the times may be null. Empty target lists make it global (`GET /api/announcements`).',
        },
      },
    )
    .get(
      '/:announcement',
      async ({ params }) => ({ announcement: toAdminAnnouncement(await getAnnouncement(ctx.db, params.announcement)) }),
      {
        permission: 'admin:announcements.read',
        params: Params,
        response: { 200: One },
        detail: { summary: 'Get an announcement' },
      },
    )
    .patch(
      '/:announcement',
      async ({ principal, params, body, request }) => {
        await transaction(ctx.db, async (tx) => {
          const row = await updateAnnouncement(tx, params.announcement, body)
          await ctx.activity.admin(tx, actorOf(principal, request), 'announcement:update', announcementAudit(row))
          await emit(tx, ANNOUNCEMENTS_CHANGED, {})
        })
        return {}
      },
      {
        permission: 'admin:announcements.update',
        params: Params,
        body: UpdateAnnouncement,
        response: { 200: Empty },
        detail: { summary: 'Update an announcement', description: 'Absent fields stay; null clears a time.' },
      },
    )
    .delete(
      '/:announcement',
      async ({ principal, params, request }) => {
        await transaction(ctx.db, async (tx) => {
          const row = await deleteAnnouncement(tx, params.announcement)
          await ctx.activity.admin(tx, actorOf(principal, request), 'announcement:delete', { uuid: row.uuid, title: row.title })
          await emit(tx, ANNOUNCEMENTS_CHANGED, {})
        })
        return {}
      },
      { permission: 'admin:announcements.delete', params: Params, response: { 200: Empty }, detail: { summary: 'Delete an announcement' } },
    )
    .post(
      '/:announcement/duplicate',
      async ({ principal, params, request }) => {
        const copy = await transaction(ctx.db, async (tx) => {
          const { source, copy } = await duplicateAnnouncement(tx, params.announcement)
          await ctx.activity.admin(tx, actorOf(principal, request), 'announcement:duplicate', {
            source_uuid: source.uuid,
            uuid: copy.uuid,
            title: copy.title,
          })
          await emit(tx, ANNOUNCEMENTS_CHANGED, {})
          return copy
        })
        return { announcement: toAdminAnnouncement(copy) }
      },
      {
        permission: 'admin:announcements.create',
        params: Params,
        response: { 200: One },
        detail: {
          summary: 'Copy an announcement',
          description: 'Every field is copied, the enabled flag and the targets included; no body.',
        },
      },
    )
}
