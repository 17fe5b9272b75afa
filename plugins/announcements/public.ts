import { Elysia, t } from 'elysia'
import { PublicAnnouncement } from './model'
import { toPublicAnnouncement } from './service/announcements'
import type { GlobalBoard } from './service/board'

/**
 * `GET /api/announcements`: the global ones (no target list), enabled, inside their window. Like
 * the reference it does not look at the caller: everyone, signed in or not, sees the same list.
 */
export const publicAnnouncementRoutes = (board: GlobalBoard) =>
  new Elysia({ tags: ['public'] }).get(
    '/announcements',
    async () => ({ announcements: (await board.active()).map(toPublicAnnouncement) }),
    {
      response: { 200: t.Object({ announcements: t.Array(PublicAnnouncement) }) },
      detail: {
        summary: 'Global announcements',
        description:
          'Enabled announcements without targets whose `enabled_start`/`enabled_end` window holds now (bounds included), oldest first; no authentication.',
      },
    },
  )
