import { definePlugin } from 'hatchery'
import { countUsers } from '../users'
import { publicRoutes } from './public'
import { adminSettingsRoutes } from './admin'

/** Public settings and languages; the admin settings. */
export default definePlugin({
  name: 'platform',
  version: '1.0.0',
  description: 'Public settings, languages and panel settings administration',
  dependsOn: ['users'],
  routes: {
    public(ctx) {
      // Once a user exists the panel is past its first step for good; until then ask at most once
      // a second, so an unauthenticated route does not cost a query per request.
      let seen = false
      let checked = 0
      const hasUsers = (): boolean | Promise<boolean> => {
        if (seen || Date.now() - checked < 1000) return seen
        checked = Date.now()
        return countUsers(ctx.db).then((n) => (seen = n > 0))
      }
      return publicRoutes(ctx, hasUsers)
    },
    admin: adminSettingsRoutes,
  },
})
