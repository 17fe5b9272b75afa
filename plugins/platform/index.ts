import { definePlugin } from 'hatchery'
import { countUsers } from '../users'
import { publicRoutes } from './public'
import { adminSettingsRoutes } from './admin'

/** Public settings, languages and announcements; the admin settings. */
export default definePlugin({
  name: 'platform',
  version: '1.0.0',
  description: 'Public settings, languages, announcements and panel settings administration',
  dependsOn: ['users'],
  routes: {
    public(ctx) {
      // Once a user exists the panel is past its first step for good; only check until then.
      let seen = false
      const hasUsers = async () => (seen ||= (await countUsers(ctx.db)) > 0)
      return publicRoutes(ctx, hasUsers)
    },
    admin: adminSettingsRoutes,
  },
})

