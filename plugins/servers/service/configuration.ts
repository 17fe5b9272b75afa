import { and, asc, eq } from 'drizzle-orm'
import type { Db, Tx } from 'hatchery'
import { tables as nestTables } from '../../nests'
import { serverAllocations, serverVariables, type servers } from '../tables'
import type { DocumentParts, RemoteServer } from '../wings/document-model'
import { serverAllocationsOf } from './admin-servers'

type ServerRow = typeof servers.$inferSelect

/** A plugin's share of the documents (backups, schedules, mounts of the server); empty until one contributes. */
export type DocumentContributor = (db: Db | Tx, server: ServerRow) => Promise<Partial<DocumentParts>>

/** The `environment`: every egg variable, the server's value, else the default, else `""` (spec 04 §3.3). */
async function environmentOf(db: Db | Tx, server: ServerRow): Promise<Record<string, string>> {
  const { nestEggVariables: v } = nestTables
  const rows = await db
    .select({ env: v.env_variable, fallback: v.default_value, value: serverVariables.value })
    .from(v)
    .leftJoin(serverVariables, and(eq(serverVariables.variable_uuid, v.uuid), eq(serverVariables.server_uuid, server.uuid)))
    .where(eq(v.egg_uuid, server.egg_uuid))
    .orderBy(asc(v.order), asc(v.created))
  return Object.fromEntries(rows.map((r) => [r.env, r.value ?? r.fallback ?? '']))
}

/**
 * The configuration document Wings runs the server from (spec 04 §3.3), every key present:
 * the server's limits and image, its egg's process configuration, its allocations grouped by IP
 * (the primary as `default`), and what `contributors` add (backups, schedules, mounts).
 */
export async function serverDocument(
  db: Db | Tx,
  server: ServerRow,
  contributors: Iterable<DocumentContributor> = [],
): Promise<RemoteServer> {
  const [egg] = await db.select().from(nestTables.nestEggs).where(eq(nestTables.nestEggs.uuid, server.egg_uuid))
  const primary = new Set(server.allocation_uuid ? [server.allocation_uuid] : [])
  const allocations = await serverAllocationsOf(db, eq(serverAllocations.server_uuid, server.uuid), primary)
  const mappings: Record<string, number[]> = {}
  for (const a of allocations.sort((x, y) => x.port - y.port)) (mappings[a.ip] ??= []).push(a.port)
  const main = allocations.find((a) => a.is_primary)
  const parts: DocumentParts = { backups: [], schedules: [], mounts: [] }
  for (const contribute of contributors) Object.assign(parts, await contribute(db, server))
  return {
    settings: {
      uuid: server.uuid,
      start_on_completion: null,
      meta: { name: server.name, description: server.description ?? '' },
      suspended: server.suspended,
      invocation: server.startup,
      skip_egg_scripts: false,
      entrypoint: null,
      environment: await environmentOf(db, server),
      labels: {},
      backups: parts.backups,
      schedules: parts.schedules,
      allocations: { force_outgoing_ip: egg.force_outgoing_ip, default: main ? { ip: main.ip, port: main.port } : null, mappings },
      build: {
        memory_limit: server.memory,
        overhead_memory: server.memory_overhead,
        swap: server.swap,
        io_weight: server.io_weight,
        cpu_limit: server.cpu,
        disk_space: server.disk,
        threads: server.pinned_cpus.length ? server.pinned_cpus.join(',') : null,
        oom_disabled: false,
      },
      mounts: parts.mounts,
      egg: { id: egg.uuid, file_denylist: egg.file_denylist },
      container: {
        image: server.image,
        timezone: server.timezone,
        hugepages_passthrough_enabled: server.hugepages_passthrough_enabled,
        kvm_passthrough_enabled: server.kvm_passthrough_enabled,
        seccomp: { remove_allowed: [] },
      },
      auto_kill: server.auto_kill,
      auto_start_behavior: server.auto_start_behavior,
    },
    process_configuration: { startup: egg.config_startup, stop: egg.config_stop, configs: egg.config_files },
  }
}
