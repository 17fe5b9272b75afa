import type { Db, Secrets, SettingsService, Tx } from 'hatchery'
import type { NestHooks } from '../nests'
import type { NodeRow } from '../nodes'
import { TtlCache } from './service/ttl-cache'
import { stripConfigPatch } from './service/node-config'
import type { ServerRow, ServerViews } from './service/admin-servers'
import type { NodeResetHook } from './service/remote-servers'
import { SubuserSlot } from './service/subusers'
import { serverDocument, type DocumentContributor } from './service/configuration'
import type { RemoteServer } from './wings/document-model'
import { WingsClient } from './wings/client'
import type { AnnouncementRow } from '../announcements'
import type { PowerAction, ResourceUsage, ServerSelector, WingsConfig } from './wings/model'
import type { WingsOptions } from './wings/transport'

/** What changed about a backup on its way to the destination (spec 04 §3 `transfer/success`). */
export interface BackupMigration {
  checksum: string
  checksum_type: string
  browsable: boolean
  streaming: boolean
  /** The Wings adapter it is stored with now; absent or null: unchanged. */
  adapter?: string | null
}

/** A transfer the destination reported done, as the other plugins see it in its transaction. */
export interface CompletedTransfer {
  server: string
  source: string
  destination: string
  /** The backups the destination received. */
  backups: string[]
  backup_migrations: Record<string, BackupMigration>
}

/** What another plugin contributes to transfers (the backups plugin: which backups go along, and moving them). */
export interface TransferHook {
  /** The backups a mass transfer with `transfer_backups` sends along with `server`. */
  backupsOf?(db: Db | Tx, server: string): Promise<string[]>
  /** Runs in the success callback's transaction, after the server moved; a throw undoes the move. */
  completed?(tx: Tx, transfer: CompletedTransfer): Promise<void>
}

/** Removes what another plugin holds for `server` before it is deleted. */
export type ServerDeletionHook = (server: ServerRow, force: boolean) => Promise<void>

/**
 * What other plugins get from `ctx.api(servers)`: the Wings client of a node. `wingsOptions` are
 * the deadlines every client starts with (spec 04 §1.4: 5 s to connect, 15 s in all); tests
 * shorten them.
 * @example const overview = await ctx.api(servers).wings(node).systemOverview(2_000)
 */
export class ServersApi {
  wingsOptions: WingsOptions = {}
  /** What other plugins add to every configuration document (their backups, schedules, mounts), in `setup`. */
  readonly documentContributors = new Set<DocumentContributor>()
  /** Where SFTP logins and the client scope ask whether a user is a server's subuser; filled in setup from `server_subusers`. */
  readonly subusers = new SubuserSlot()
  /**
   * What other plugins remove before a server is deleted (spec 02 §8.6 step 1: its databases), in
   * order, before Wings is asked; a hook that throws aborts the deletion (it decides what `force` lets pass).
   */
  readonly deletionHooks = new Set<ServerDeletionHook>()
  /** What other plugins reset when a node boots (`POST /api/remote/servers/reset`), in its transaction. */
  readonly nodeResetHooks = new Set<NodeResetHook>()
  /** What other plugins contribute to server transfers, in `setup`. */
  readonly transferHooks = new Set<TransferHook>()

  constructor(
    private readonly secrets: Secrets,
    private readonly settings: SettingsService,
    private readonly nests: NestHooks,
  ) {}

  /** What building `AdminServer` objects needs besides the database (one settings snapshot per call). */
  async views(): Promise<ServerViews> {
    return { secrets: this.secrets, settings: await this.settings.snapshot(), repositoryEggs: this.nests.repositoryEggs }
  }

  private readonly configs = new TtlCache<WingsConfig>(120_000)
  private readonly usage = new TtlCache<Record<string, ResourceUsage>>(15_000)
  private readonly ports = new TtlCache<Record<string, number[]>>(10_000)
  /** The announcements targeting a server, whatever their window, by server uuid (spec 03 §1.9: 60 s); cleared when announcements change. */
  readonly serverAnnouncements = new TtlCache<AnnouncementRow[]>(60_000)
  /** The servers a user owns or is a subuser of on a node, keyed `<user> <node>` (spec 03 §6.2: 15 s); a user's entries go when their subusers change. */
  readonly reachOnNode = new TtlCache<string[]>(15_000)

  wings(node: NodeRow): WingsClient {
    return WingsClient.of(this.secrets, node, this.wingsOptions)
  }

  /** The configuration document of `server` (spec 04 §3.3) for `/api/remote` and syncs. */
  document(db: Db | Tx, server: ServerRow): Promise<RemoteServer> {
    return serverDocument(db, server, this.documentContributors)
  }

  /** The node's live Wings configuration, cached 120 s (spec 02 §6.8 b). */
  nodeConfig(node: NodeRow): Promise<WingsConfig> {
    return this.configs.get(node.uuid, () => this.wings(node).config())
  }

  /** Sends `patch` without the paths a panel may not change (spec 02 §6.8 c); `config` is what was sent. */
  async updateNodeConfig(node: NodeRow, patch: Record<string, unknown>): Promise<{ applied: boolean; config: Record<string, unknown> }> {
    const config = stripConfigPatch(patch)
    const { applied } = await this.wings(node).updateConfig(config)
    if (applied) this.configs.drop(node.uuid)
    return { applied, config }
  }

  /** Resource usage of the node's servers by uuid, cached 15 s (spec 04 §1.4). */
  utilization(node: NodeRow): Promise<Record<string, ResourceUsage>> {
    return this.usage.get(node.uuid, () => this.wings(node).utilization())
  }

  /** The ports Wings reports in use on `ips` of the node (3 s deadline), cached 10 s (spec 02 §8.3 step 5). */
  usedPorts(node: NodeRow, ips: string[]): Promise<Record<string, number[]>> {
    return this.ports.get(`${node.uuid} ${[...ips].sort().join(' ')}`, async () => {
      const { used } = await this.wings(node).portsUsed(ips)
      return Object.fromEntries(ips.map((ip) => [ip, (used[ip] ?? []).map((p) => p.port)]))
    })
  }

  /** Node-wide power action; the next utilization read asks Wings again. */
  async power(node: NodeRow, servers: ServerSelector, action: PowerAction): Promise<number> {
    const { affected } = await this.wings(node).powerMany(servers, action)
    this.usage.drop(node.uuid)
    return affected
  }
}
