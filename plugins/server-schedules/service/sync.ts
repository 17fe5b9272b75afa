import { eq } from 'drizzle-orm'
import type { PluginContext } from 'hatchery'
import { getNode } from '../../nodes'
import { tables as serverTables, type ServersApi } from '../../servers'

/**
 * Tells a server's node its schedules (the reference's `sync` and `batch_sync`, spec 03 §0.6):
 * `now` pushes the configuration document and throws when the node fails; `later` does it in the
 * background, at most one push per server in flight and one more queued behind it (the latest
 * state is read when it runs), failures only logged.
 */
export class ScheduleSync {
  private readonly running = new Map<string, Promise<void>>()
  private readonly queued = new Set<string>()

  constructor(
    private readonly ctx: PluginContext,
    private readonly servers: () => ServersApi,
  ) {}

  async now(serverUuid: string): Promise<void> {
    const db = this.ctx.db
    const [server] = await db.select().from(serverTables.servers).where(eq(serverTables.servers.uuid, serverUuid))
    if (!server) return
    const api = this.servers()
    await api.wings(await getNode(db, server.node_uuid)).syncServer(server.uuid, await api.document(db, server))
  }

  later(serverUuid: string): void {
    if (this.running.has(serverUuid)) {
      this.queued.add(serverUuid)
      return
    }
    const run = this.now(serverUuid)
      .catch((error: Error) => this.ctx.log.warn('schedule sync to wings failed', { server: serverUuid, error: error.message }))
      .finally(() => {
        this.running.delete(serverUuid)
        if (this.queued.delete(serverUuid)) this.later(serverUuid)
      })
    this.running.set(serverUuid, run)
  }

  /** Resolves once no background push is in flight (tests, shutdown). */
  async settled(): Promise<void> {
    while (this.running.size) await Promise.all([...this.running.values()])
  }
}
