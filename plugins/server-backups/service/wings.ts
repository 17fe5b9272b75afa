import { t, type Static, type TSchema } from 'elysia'
import { getNode } from '../../nodes'
import { sendToWings, wingsModel, type WingsCall, type WingsClient } from '../../servers'
import { adapterOf, expectUsable, usableConfiguration, type BackupRow } from './backups'
import type { BackupRuntime } from './runtime'

const { Anything } = wingsModel
const call = <S extends TSchema>(wings: WingsClient, c: WingsCall<S>) => sendToWings(wings.target, c, wings.options) as Promise<Static<S>>
const server = (uuid: string) => `/api/servers/${encodeURIComponent(uuid)}`

/** Wings' `DirectoryEntry` as far as the panel reads it (spec 04 §1.5); the rest passes through. */
export const DirectoryEntry = t.Object({ name: t.String() }, { additionalProperties: true })
const Exported = t.Union([DirectoryEntry, t.Object({ identifier: t.String() })])
const Query = t.Object({ archive_format: t.Optional(t.Nullable(t.String())), size: t.Optional(t.Nullable(t.Integer())) })

/** The backup endpoints of Wings (spec 04 §1.6 E). */
export const wingsBackups = {
  create: (wings: WingsClient, serverUuid: string, body: { adapter: string; uuid: string; ignore: string }) =>
    call(wings, { method: 'POST', path: `${server(serverUuid)}/backup`, body, answer: Anything }),
  delete: (wings: WingsClient, backup: string, body: { adapter: string; foreground: boolean; server: string | null }) =>
    call(wings, { method: 'DELETE', path: `/api/backups/${backup}`, body, answer: Anything }),
  restore: (
    wings: WingsClient,
    serverUuid: string,
    backup: string,
    body: { adapter: string; truncate_directory: boolean; download_url: string | null },
  ) => call(wings, { method: 'POST', path: `${server(serverUuid)}/backup/${backup}/restore`, body, answer: Anything }),
  export: (
    wings: WingsClient,
    backup: string,
    body: { adapter: string; server: string; path: string; archive_format: string; foreground: boolean },
  ) => call(wings, { method: 'POST', path: `/api/backups/${backup}/export`, body, answer: Exported }),
  query: (wings: WingsClient, backup: string, adapter: string) =>
    call(wings, { method: 'GET', path: `/api/backups/${backup}/query`, query: { adapter }, answer: Query }),
}

/**
 * Exports a finished backup into `server`'s files through the node (spec 03 §5.2.3 and the admin
 * equivalent): the three state checks (`… cannot be exported`), the configuration (417 when missing
 * or in maintenance), then Wings: `{entry}` when done, `{identifier}` when it works in the background.
 */
export async function exportBackup(
  rt: BackupRuntime,
  backup: BackupRow,
  server: string,
  body: { path: string; archive_format?: string; foreground?: boolean },
): Promise<{ entry: Record<string, unknown> } | { identifier: string }> {
  expectUsable(backup, 'exported')
  await usableConfiguration(rt.db, backup, {
    missing: 'no backup configuration available, unable to export backup',
    maintenance: 'cannot export backup while backup configuration is in maintenance mode',
  })
  const answer = await wingsBackups.export(rt.wings(await getNode(rt.db, backup.node_uuid)), backup.uuid, {
    adapter: adapterOf(backup.disk),
    server,
    path: body.path,
    archive_format: body.archive_format ?? 'tar_gz',
    foreground: body.foreground ?? false,
  })
  return 'identifier' in answer ? { identifier: String(answer.identifier) } : { entry: answer as Record<string, unknown> }
}
