import { Cron } from 'croner'
import { and, asc, eq, inArray, isNull, lt, or, sql } from 'drizzle-orm'
import type { Db, Logger } from 'hatchery'
import { tables as nodeTables } from '../../nodes'
import { tables as serverTables } from '../../servers'
import {
  systemBackupPolicies as policies,
  systemBackupPolicyBackups as backups,
  systemBackupPolicyLocations as policyLocations,
  systemBackupPolicyNodes as policyNodes,
  systemBackupPolicyServers as policyServers,
} from '../tables'
import type { BackupRunner, RunnerSlot } from './runner'

type Policy = typeof policies.$inferSelect
const { servers } = serverTables
const { nodes } = nodeTables

/** A pending trigger older than this is taken as lost (its process died) and may be triggered again. */
const STALE_TRIGGER = sql`now() - interval '1 hour'`

/** The newest occurrence of `cron` at or before `now` (UTC), or null when it has none. */
export function latestSlot(cron: string, now: Date): Date | null {
  try {
    return new Cron(cron, { paused: true, timezone: 'UTC', mode: '5-or-6-parts' }).previousRuns(1, new Date(now.getTime() + 1))[0] ?? null
  } catch {
    return null
  }
}

/** The name of a policy backup: its slot as the reference names backups (`%Y-%m-%d %H:%M:%S %z`). */
export const backupName = (slot: Date) => `${slot.toISOString().slice(0, 19).replace('T', ' ')} +0000`

/**
 * The servers a policy covers, oldest first, each once: linked directly, on a linked node, or on a
 * node of a linked location. As the reference, servers being installed, restored or transferred
 * and nodes in maintenance are left out of a run.
 */
export async function coveredServers(db: Db, policyUuid: string): Promise<string[]> {
  const rows = await db
    .select({ uuid: servers.uuid })
    .from(servers)
    .innerJoin(nodes, eq(nodes.uuid, servers.node_uuid))
    .where(
      and(
        or(
          inArray(
            servers.uuid,
            db.select({ uuid: policyServers.server_uuid }).from(policyServers).where(eq(policyServers.policy_uuid, policyUuid)),
          ),
          inArray(
            servers.node_uuid,
            db.select({ uuid: policyNodes.node_uuid }).from(policyNodes).where(eq(policyNodes.policy_uuid, policyUuid)),
          ),
          inArray(
            nodes.location_uuid,
            db.select({ uuid: policyLocations.location_uuid }).from(policyLocations).where(eq(policyLocations.policy_uuid, policyUuid)),
          ),
        ),
        isNull(servers.status),
        isNull(servers.destination_node_uuid),
        eq(nodes.maintenance_enabled, false),
      ),
    )
    .orderBy(asc(servers.created), asc(servers.uuid))
  return rows.map((r) => r.uuid)
}

/** Runs `fn` over `items`, at most `limit` at once. */
async function eachLimited<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0
  const worker = async () => {
    while (next < items.length) await fn(items[next++])
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
}

/**
 * The policies' scheduler. `tick` (the `run` job, every minute) runs each enabled policy whose cron
 * has an occurrence past the slot it last ran (`last_slot`, which starts at creation), after
 * claiming that slot with one conditional update: of several panel processes (or engines) ticking
 * at once exactly one gets the row back and runs it; occurrences missed while the panel was down
 * collapse into one run. `trigger` runs a policy now (`POST …/trigger`) in the background.
 * After a run, retention deletes the policy's backups beyond `retention_count` per server and
 * those older than `retention_days`; a backup is claimed by deleting its link, so one process
 * deletes it, and its link comes back when the runner fails to delete it.
 */
export class PolicyEngine {
  private readonly inFlight = new Set<Promise<unknown>>()

  constructor(
    private readonly db: Db,
    private readonly log: Logger,
    private readonly runners: RunnerSlot,
  ) {}

  /** One pass at `now`: due policies run (in parallel), then every policy's retention. Skipped without a runner. */
  async tick(now = new Date()): Promise<void> {
    const runner = this.runners.get()
    if (!runner) return
    const all = await this.db.select().from(policies).orderBy(asc(policies.created))
    const ran = new Set<string>()
    await Promise.all(
      all.map(async (policy) => {
        const slot = policy.enabled ? latestSlot(policy.cron, now) : null
        if (!slot || slot <= policy.last_slot) return
        const claimed = await this.claim(policy, slot)
        if (!claimed) return
        ran.add(policy.uuid)
        await this.guarded(policy, () => this.run(runner, claimed, slot))
      }),
    )
    for (const policy of all) {
      if (!ran.has(policy.uuid)) await this.guarded(policy, () => this.retain(runner, policy))
    }
  }

  /**
   * Marks the policy triggered and runs it in the background (`settled()` waits for it); false when a
   * triggered run is pending already (nothing more is started). 503 without a runner.
   */
  async trigger(policyUuid: string): Promise<boolean> {
    const runner = this.runners.require()
    const [policy] = await this.db
      .update(policies)
      .set({ triggered: new Date() }) // millisecond precision: the clearing update compares it to a JS Date
      .where(and(eq(policies.uuid, policyUuid), or(isNull(policies.triggered), lt(policies.triggered, STALE_TRIGGER))))
      .returning()
    if (!policy) return false
    const triggered = policy.triggered!
    this.background(
      this.guarded(policy, () => this.run(runner, policy, triggered)).finally(() =>
        this.db
          .update(policies)
          .set({ triggered: null })
          .where(and(eq(policies.uuid, policy.uuid), eq(policies.triggered, triggered)))
          .catch((e) => this.log.warn('system backup policy: clearing the trigger failed', { policy: policy.uuid, error: e as Error })),
      ),
    )
    return true
  }

  /** Deletes these backups through the runner in the background (a deleted policy's, `delete_backups`). */
  removeLater(runner: BackupRunner, backupUuids: string[]): void {
    this.background(
      eachLimited(backupUuids, 4, async (uuid) => {
        await runner
          .remove(this.db, uuid)
          .catch((e) => this.log.warn('system backup policy: deleting a backup failed', { backup: uuid, error: e as Error }))
      }),
    )
  }

  /** Resolves once every background run and deletion started so far has finished (tests, shutdown). */
  async settled(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight])
  }

  /** Raises `last_slot` to `slot` unless another process did: the row when this one won the slot. */
  private async claim(policy: Policy, slot: Date): Promise<Policy | undefined> {
    const [claimed] = await this.db
      .update(policies)
      .set({ last_slot: slot })
      .where(and(eq(policies.uuid, policy.uuid), eq(policies.enabled, true), eq(policies.cron, policy.cron), lt(policies.last_slot, slot)))
      .returning()
    return claimed
  }

  /** Starts a backup of every covered server, `parallelism` at once, records each, then applies retention. */
  private async run(runner: BackupRunner, policy: Policy, slot: Date): Promise<void> {
    const covered = await coveredServers(this.db, policy.uuid)
    const options = { name: backupName(slot), backupConfigurationUuid: policy.backup_configuration_uuid, policyUuid: policy.uuid }
    let failed = 0
    await eachLimited(covered, policy.parallelism, async (server) => {
      try {
        const backup = await runner.start(this.db, server, options)
        await this.db.insert(backups).values({ policy_uuid: policy.uuid, backup_uuid: backup, server_uuid: server, slot })
      } catch (e) {
        failed++
        this.log.warn('system backup policy: a backup did not start', { policy: policy.uuid, server, error: e as Error })
      }
    })
    this.log.info('system backup policy ran', { policy: policy.uuid, slot: slot.toISOString(), servers: covered.length, failed })
    await this.retain(runner, policy)
  }

  /** Deletes the policy's backups past `retention_count` (newest kept, per server) or older than `retention_days`. */
  private async retain(runner: BackupRunner, policy: Policy): Promise<void> {
    const { retention_count: count, retention_days: days } = policy
    if (count === null && days === null) return
    const ranked = this.db
      .select({
        backup_uuid: backups.backup_uuid,
        created: backups.created,
        position:
          sql<number>`row_number() over (partition by ${backups.server_uuid} order by ${backups.slot} desc, ${backups.created} desc)`.as(
            'position',
          ),
      })
      .from(backups)
      .where(eq(backups.policy_uuid, policy.uuid))
      .as('ranked')
    const doomed = await this.db
      .select({ uuid: ranked.backup_uuid })
      .from(ranked)
      .where(
        or(
          count === null ? undefined : sql`${ranked.position} > ${count}`,
          days === null ? undefined : sql`${ranked.created} < now() - make_interval(days => ${days}::int)`,
        ),
      )
    for (const { uuid } of doomed) {
      const [link] = await this.db.delete(backups).where(eq(backups.backup_uuid, uuid)).returning()
      if (!link) continue
      try {
        await runner.remove(this.db, uuid)
      } catch (e) {
        this.log.warn('system backup policy: deleting an old backup failed; tried again next pass', {
          policy: policy.uuid,
          backup: uuid,
          error: e as Error,
        })
        await this.db
          .insert(backups)
          .values(link)
          .onConflictDoNothing()
          .catch(() => {})
      }
    }
  }

  private async guarded(policy: Policy, work: () => Promise<void>): Promise<void> {
    try {
      await work()
    } catch (e) {
      this.log.error('system backup policy run failed', { policy: policy.uuid, error: e as Error })
    }
  }

  private background(work: Promise<unknown>): void {
    const tracked = work.finally(() => this.inFlight.delete(tracked))
    this.inFlight.add(tracked)
  }
}
