import { definePlugin, type PluginDescriptor } from 'hatchery'
import * as tables from './tables'
import { adminAnnouncementRoutes, ANNOUNCEMENTS_CHANGED } from './admin'
import { publicAnnouncementRoutes } from './public'
import { GlobalBoard } from './service/board'

/** What the announcements plugin offers other plugins (through `ctx.api(announcements)`). */
export interface AnnouncementsApi {
  /** The enabled global announcements, cached; `active(now)` filters their windows. */
  board: GlobalBoard
}

/**
 * Panel announcements: the admin CRUD (`/api/admin/announcements`) and the public list of global
 * ones (`/api/announcements`). Server-targeted ones are answered by the servers plugin
 * (`/api/client/servers/{server}/announcements`), which reads the `announcements` table.
 */
const plugin: PluginDescriptor<AnnouncementsApi> = definePlugin<AnnouncementsApi>({
  name: 'announcements',
  version: '1.0.0',
  description: 'Announcements: admin management and the public list',
  dependsOn: ['users'],
  tables,
  migrations: '../../migrations/announcements',
  setup(ctx) {
    const board = new GlobalBoard(ctx.db)
    ctx.events.on(ANNOUNCEMENTS_CHANGED, () => board.forget())
    return { board }
  },
  routes: {
    public: (ctx) => publicAnnouncementRoutes(ctx.api(plugin).board),
    admin: adminAnnouncementRoutes,
  },
})

export default plugin
export { tables, ANNOUNCEMENTS_CHANGED }
export { toAdminAnnouncement, toPublicAnnouncement, isActive } from './service/announcements'
export { PublicAnnouncement } from './model'
export type { AnnouncementRow } from './service/announcements'
