import { and, asc, eq, inArray, isNull, or } from 'drizzle-orm'
import type { Db, Tx } from 'hatchery'
import type { CompletedTransfer, TransferHook } from '../../servers'
import { serverBackups as b } from '../tables'
import { diskOf } from './backups'

/**
 * The backups' part in server transfers (spec 04 §3 `transfer/success`, spec 02 §6.11):
 * - `backupsOf`: what a mass transfer with `transfer_backups` sends along, the server's backups
 *   that are neither deleted nor shared (the source node sends those it stores itself);
 * - `completed`: in the success callback's transaction, the backups the destination received and
 *   the server's shared backups move to the destination node, and what `backup_migrations` says
 *   changed is applied (checksum as `<checksum_type>:<checksum>`, browsable, streaming, the
 *   adapter's disk). Backups the destination did not receive stay on the source node.
 */
export const transferHook: TransferHook = {
  async backupsOf(db: Db | Tx, server: string): Promise<string[]> {
    const rows = await db
      .select({ uuid: b.uuid })
      .from(b)
      .where(and(eq(b.server_uuid, server), isNull(b.deleted), eq(b.shared, false)))
      .orderBy(asc(b.created), asc(b.uuid))
    return rows.map((r) => r.uuid)
  },

  async completed(tx: Tx, done: CompletedTransfer): Promise<void> {
    const moved = done.backups.length ? or(inArray(b.uuid, done.backups), eq(b.shared, true)) : eq(b.shared, true)
    await tx
      .update(b)
      .set({ node_uuid: done.destination })
      .where(and(eq(b.server_uuid, done.server), moved))
    for (const [uuid, m] of Object.entries(done.backup_migrations)) {
      await tx
        .update(b)
        .set({
          checksum: `${m.checksum_type}:${m.checksum}`,
          browsable: m.browsable,
          streaming: m.streaming,
          ...(m.adapter ? { disk: diskOf(m.adapter) } : {}),
        })
        .where(and(eq(b.server_uuid, done.server), eq(b.uuid, uuid)))
    }
  },
}
