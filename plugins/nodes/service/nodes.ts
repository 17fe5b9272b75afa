import { asc, eq, getTableColumns, sql } from 'drizzle-orm'
import { alias } from 'drizzle-orm/pg-core'
import type { Static } from 'elysia'
import {
  BadRequest,
  emit,
  loadOr404,
  paginate,
  randomAlnum,
  Validation,
  type Db,
  type PageParams,
  type Secrets,
  type TotalField,
  type Tx,
} from 'hatchery'
import { tables as backupTables, toAdminBackupConfiguration } from '../../backup-configurations'
import { tables as locationTables, toAdminLocation } from '../../locations'
import { nodeDatabaseHosts, nodeMounts, nodes } from '../tables'
import type { CreateNode, Node, UpdateNode } from '../model'

const { backupConfigurations } = backupTables
const { locations } = locationTables
export type NodeRow = typeof nodes.$inferSelect
export type AdminNode = Static<typeof Node>
type NodeFields = Omit<NodeRow, 'token' | 'token_id'>

/**
 * A URL as the reference re-emits it (WHATWG serialisation): trailing slash on an empty path,
 * lowercase host, default port dropped. A stored value that no longer parses is answered as stored.
 */
export function normalizeUrl(value: string): string {
  try {
    return new URL(value).href
  } catch {
    return value
  }
}

/** 400 naming `field` unless `value` parses as an http or https URL. */
function checkUrl(field: string, value: string | null | undefined): void {
  if (value === null || value === undefined) return
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw new Validation([`${field}: must be a valid URL`])
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Validation([`${field}: must be an http or https URL`])
}

/** A fresh token pair: `token_id` 16 and `token` 64 random letters and digits. */
export function newToken(): { token_id: string; token: string } {
  return { token_id: randomAlnum(16), token: randomAlnum(64) }
}

const nodeBc = alias(backupConfigurations, 'node_backup_configuration')
const locationBc = alias(backupConfigurations, 'location_backup_configuration')
const { token: _token, token_id: _tokenId, ...publicColumns } = getTableColumns(nodes)

/** What a node object is built from, for a select of one's own (`toAdminNode` takes the row). */
export const nodeSelection = {
  node: publicColumns,
  location: getTableColumns(locations),
  location_bc: getTableColumns(locationBc),
  bc: getTableColumns(nodeBc),
}
/** The joins `nodeSelection` needs, after `.from(nodes)`. */
export const nodeJoins = {
  location: eq(locations.uuid, nodes.location_uuid),
  locationBc: [locationBc, eq(locationBc.uuid, locations.backup_configuration_uuid)] as const,
  bc: [nodeBc, eq(nodeBc.uuid, nodes.backup_configuration_uuid)] as const,
}

/** A node with its location, the location's backup configuration and its own (never the token columns). */
export function nodeQuery(db: Db | Tx, total: TotalField = {}) {
  return db
    .select({ ...nodeSelection, ...total })
    .from(nodes)
    .innerJoin(locations, nodeJoins.location)
    .leftJoin(...nodeJoins.locationBc)
    .leftJoin(...nodeJoins.bc)
}
type Joined = Awaited<ReturnType<typeof nodeQuery>>[number]

export function toAdminNode(secrets: Secrets, r: Pick<Joined, 'node' | 'location' | 'location_bc' | 'bc'>): AdminNode {
  const n: NodeFields = r.node
  return {
    uuid: n.uuid,
    location: toAdminLocation(secrets, r.location, r.location_bc),
    backup_configuration: r.bc ? toAdminBackupConfiguration(secrets, r.bc) : null,
    name: n.name,
    description: n.description,
    deployment_enabled: n.deployment_enabled,
    maintenance_enabled: n.maintenance_enabled,
    public_url: n.public_url === null ? null : normalizeUrl(n.public_url),
    url: normalizeUrl(n.url),
    sftp_host: n.sftp_host,
    sftp_port: n.sftp_port,
    memory: n.memory,
    disk: n.disk,
    created: n.created,
  }
}

/** `node:create` / `node:update` activity data (spec 02 §14): never the token. */
export const nodeAudit = (n: NodeRow) => ({
  uuid: n.uuid,
  location_uuid: n.location_uuid,
  name: n.name,
  description: n.description,
  deployment_enabled: n.deployment_enabled,
  maintenance_enabled: n.maintenance_enabled,
  public_url: n.public_url === null ? null : normalizeUrl(n.public_url),
  url: normalizeUrl(n.url),
  sftp_host: n.sftp_host,
  sftp_port: n.sftp_port,
  memory: n.memory,
  disk: n.disk,
})

/** The node a path parameter names: 400 `invalid node uuid`, 404 `node not found`. */
export const getNode = (db: Db | Tx, uuid: string, lock = false) => loadOr404(db, nodes, nodes.uuid, uuid, 'node', { lock })

/** Which nodes a list holds: all, those of a location, or those of a backup configuration. */
export type NodeFilter = { location_uuid: string } | { backup_configuration_uuid: string }

/** Nodes as answered, by creation; `search` matches the name. A prepared list: the hottest admin page. */
export function listNodes(db: Db | Tx, secrets: Secrets, page: PageParams, by?: NodeFilter) {
  const column = by && ('location_uuid' in by ? nodes.location_uuid : nodes.backup_configuration_uuid)
  return paginate(
    db,
    {
      from: (total) => nodeQuery(db, total),
      where: column && eq(column, sql.placeholder('by')),
      values: by && { by: 'location_uuid' in by ? by.location_uuid : by.backup_configuration_uuid },
      search: [nodes.name],
      orderBy: [asc(nodes.created), asc(nodes.uuid)],
      map: (r) => toAdminNode(secrets, r),
      prepare: 'nodes',
    },
    page,
  )
}

/** One node as answered. */
export async function adminNode(db: Db | Tx, secrets: Secrets, uuid: string): Promise<AdminNode> {
  const [row] = await nodeQuery(db).where(eq(nodes.uuid, uuid))
  return toAdminNode(secrets, row)
}

/** Unknown related rows are the reference's relation errors (400), never a foreign-key 500. */
async function checkRelations(tx: Tx, input: { location_uuid?: string; backup_configuration_uuid?: string | null }): Promise<void> {
  if (input.location_uuid !== undefined) {
    const [found] = await tx
      .select({ uuid: locations.uuid })
      .from(locations)
      .where(eq(locations.uuid, input.location_uuid))
      .for('key share')
    if (!found) throw new BadRequest('invalid relation `location` provided')
  }
  if (input.backup_configuration_uuid) {
    const [found] = await tx
      .select({ uuid: backupConfigurations.uuid })
      .from(backupConfigurations)
      .where(eq(backupConfigurations.uuid, input.backup_configuration_uuid))
      .for('key share')
    if (!found) throw new BadRequest('invalid relation `backup_configuration` provided')
  }
}

function checkUrls(input: { url?: string; public_url?: string | null }): void {
  checkUrl('url', input.url)
  checkUrl('public_url', input.public_url)
}

/** Creates a node with a new token (stored encrypted); the plain token is returned once. */
export async function createNode(tx: Tx, secrets: Secrets, input: Static<typeof CreateNode>): Promise<{ row: NodeRow; token: string }> {
  checkUrls(input)
  const location_uuid = input.location_uuid.toLowerCase()
  const backup_configuration_uuid = input.backup_configuration_uuid?.toLowerCase() ?? null
  await checkRelations(tx, { location_uuid, backup_configuration_uuid })
  const { token_id, token } = newToken()
  const [row] = await tx
    .insert(nodes)
    .values({
      location_uuid,
      backup_configuration_uuid,
      name: input.name,
      description: input.description ?? null,
      deployment_enabled: input.deployment_enabled,
      maintenance_enabled: input.maintenance_enabled,
      public_url: input.public_url ?? null,
      url: input.url,
      sftp_host: input.sftp_host ?? null,
      sftp_port: input.sftp_port,
      memory: input.memory,
      disk: input.disk,
      token_id,
      token: secrets.encrypt(token),
    })
    .returning()
  return { row, token }
}

/** Absent fields stay; null clears a nullable one. */
export async function updateNode(tx: Tx, uuid: string, input: Static<typeof UpdateNode>): Promise<NodeRow> {
  const current = await getNode(tx, uuid, true)
  checkUrls(input)
  const changes = {
    ...input,
    location_uuid: input.location_uuid?.toLowerCase(),
    backup_configuration_uuid: input.backup_configuration_uuid?.toLowerCase() ?? input.backup_configuration_uuid,
  }
  await checkRelations(tx, changes)
  if (Object.values(changes).every((v) => v === undefined)) return current
  const [row] = await tx.update(nodes).set(changes).where(eq(nodes.uuid, current.uuid)).returning()
  return row
}

/** Deletes a node after every deletion guard agreed; its links (and other plugins' rows) cascade. */
export async function deleteNode(tx: Tx, uuid: string, guards: Iterable<(tx: Tx, n: NodeRow) => Promise<void>>): Promise<NodeRow> {
  const row = await getNode(tx, uuid, true)
  for (const guard of guards) await guard(tx, row)
  await tx.delete(nodes).where(eq(nodes.uuid, row.uuid))
  return row
}

/** A copy under a new name with a new token, its mount and database-host links, then each plugin's links (never allocations). */
export async function duplicateNode(
  tx: Tx,
  secrets: Secrets,
  uuid: string,
  name: string,
  hooks: Iterable<(tx: Tx, source: NodeRow, copy: NodeRow) => Promise<void>>,
): Promise<{ source: NodeRow; copy: NodeRow }> {
  const source = await getNode(tx, uuid)
  const { uuid: _uuid, created: _created, token_id: _tid, token: _token, ...fields } = source
  const { token_id, token } = newToken()
  const [copy] = await tx
    .insert(nodes)
    .values({ ...fields, name, token_id, token: secrets.encrypt(token) })
    .returning()
  const mounts = await tx.select({ mount_uuid: nodeMounts.mount_uuid }).from(nodeMounts).where(eq(nodeMounts.node_uuid, source.uuid))
  if (mounts.length) await tx.insert(nodeMounts).values(mounts.map((m) => ({ node_uuid: copy.uuid, mount_uuid: m.mount_uuid })))
  const hosts = await tx
    .select({ database_host_uuid: nodeDatabaseHosts.database_host_uuid })
    .from(nodeDatabaseHosts)
    .where(eq(nodeDatabaseHosts.node_uuid, source.uuid))
  if (hosts.length) {
    await tx.insert(nodeDatabaseHosts).values(hosts.map((h) => ({ node_uuid: copy.uuid, database_host_uuid: h.database_host_uuid })))
  }
  for (const hook of hooks) await hook(tx, source, copy)
  return { source, copy }
}

/** The node's token pair, decrypted. */
export function revealToken(secrets: Secrets, row: NodeRow): { token_id: string; token: string } {
  return { token_id: row.token_id, token: secrets.decrypt(row.token) }
}

/**
 * A new token pair replaces the old one at once (Wings holding the old one is refused from then
 * on). Emits `nodes.token-reset` `{ node }` after the commit, for caches of node credentials.
 */
export async function resetToken(tx: Tx, secrets: Secrets, uuid: string): Promise<{ row: NodeRow; token_id: string; token: string }> {
  const current = await getNode(tx, uuid, true)
  const { token_id, token } = newToken()
  const [row] = await tx
    .update(nodes)
    .set({ token_id, token: secrets.encrypt(token) })
    .where(eq(nodes.uuid, current.uuid))
    .returning()
  await emit(tx, 'nodes.token-reset', { node: row.uuid })
  return { row, token_id, token }
}

/** Refuses deleting a location that still has nodes. */
export async function locationHasNodes(tx: Tx, locationUuid: string): Promise<boolean> {
  const [row] = await tx.select({ uuid: nodes.uuid }).from(nodes).where(eq(nodes.location_uuid, locationUuid)).limit(1)
  return row !== undefined
}

/** A node by uuid or by name (the CLI's `NODE`). */
export async function findNode(db: Db | Tx, ref: string): Promise<NodeRow | undefined> {
  const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
  if (UUID.test(ref)) {
    const [byUuid] = await db.select().from(nodes).where(eq(nodes.uuid, ref.toLowerCase()))
    if (byUuid) return byUuid
  }
  const [byName] = await db.select().from(nodes).where(eq(nodes.name, ref))
  return byName
}
