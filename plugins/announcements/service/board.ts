import type { Db } from 'hatchery'
import { enabledGlobalAnnouncements, isActive, type AnnouncementRow } from './announcements'

/**
 * The enabled global announcements, cached: `GET /api/announcements` is unauthenticated and asked
 * on every page load. The cache holds every enabled global row whatever its window, so a window
 * opening or closing shows at once; an admin change in this process clears it after the commit
 * (`forget`), one made by another panel process shows within `ttlMs`.
 */
export class GlobalBoard {
  private rows: Promise<AnnouncementRow[]> | undefined
  private loaded = 0

  constructor(
    private db: Db,
    private ttlMs = 10_000,
  ) {}

  /** Active at `now`, oldest first. */
  async active(now = new Date()): Promise<AnnouncementRow[]> {
    if (!this.rows || Date.now() - this.loaded > this.ttlMs) {
      this.loaded = Date.now()
      // A Drizzle query runs on each `then`: keep the one result, not the builder.
      const rows = enabledGlobalAnnouncements(this.db).execute()
      this.rows = rows
      // A failed read is not kept.
      rows.catch(() => this.rows === rows && (this.rows = undefined))
    }
    return (await this.rows).filter((r) => isActive(r, now))
  }

  forget(): void {
    this.rows = undefined
  }
}
