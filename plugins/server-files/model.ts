import { t } from 'elysia'
import { wingsModel } from '../servers'

const u64 = t.Integer({ minimum: 0 })

/** `DirectoryEntry` (spec 04 §1.5), passed on as Wings sent it. */
export const DirectoryEntry = t.Object({
  name: t.String(),
  mode: t.String(),
  mode_bits: t.String(),
  size: u64,
  size_physical: t.Optional(u64),
  editable: t.Optional(t.Boolean()),
  inner_editable: t.Optional(t.Boolean()),
  directory: t.Boolean(),
  file: t.Boolean(),
  symlink: t.Boolean(),
  virtual: t.Optional(t.Boolean()),
  mime: t.String(),
  created: t.String(),
  modified: t.String(),
})

export const Identifier = t.Object({ identifier: t.String() })
export const EntryOrOperation = t.Union([Identifier, DirectoryEntry])
export const EmptyOrOperation = t.Union([Identifier, t.Object({})])

/** Optional enums get their default here: Elysia fills an absent optional `UnionEnum` with its first member otherwise. */
export const ArchiveFormat = t.UnionEnum(['tar', 'tar_gz', 'tar_xz', 'tar_lzip', 'tar_bz2', 'tar_lz4', 'tar_zstd', 'zip', 'seven_zip'], {
  default: 'tar_gz',
})
export const StreamableFormat = t.UnionEnum([...wingsModel.STREAMABLE_ARCHIVE_FORMATS], { default: 'tar_gz' })
export const Algorithm = t.UnionEnum(['md5', 'crc32', 'sha1', 'sha224', 'sha256', 'sha384', 'sha512', 'curseforge'])
export const SortMode = t.UnionEnum(
  [
    'name_asc',
    'name_desc',
    'size_asc',
    'size_desc',
    'physical_size_asc',
    'physical_size_desc',
    'modified_asc',
    'modified_desc',
    'created_asc',
    'created_desc',
  ],
  { default: 'name_asc' },
)

/** Most entries one batch request (rename, copy-many, delete, chmod, compress, download) may name: more is a 400 at once. */
export const MAX_BATCH = 1000
/** A path field: bounded so an absurd one is a 400 before it is looked at. */
export const PathField = t.String({ maxLength: 4096 })
export const Root = t.Optional(t.String({ maxLength: 4096, default: '' }))
export const Pairs = t.Array(t.Object({ from: PathField, to: PathField }), { minItems: 1, maxItems: MAX_BATCH })
export const Names = t.Array(PathField, { minItems: 1, maxItems: MAX_BATCH })
export const Foreground = t.Optional(t.Boolean())

/** Wings' answers. */
export const WingsList = t.Object({
  total: u64,
  filesystem_primary: t.Optional(t.Boolean()),
  filesystem_writable: t.Optional(t.Boolean()),
  filesystem_fast: t.Optional(t.Boolean()),
  entries: t.Array(DirectoryEntry),
})
export const WingsCopied = t.Union([
  t.Object({ identifier: t.String(), skipped: t.Optional(t.Array(DirectoryEntry)) }),
  t.Object({ copied: u64, skipped: t.Array(DirectoryEntry) }),
])
export const PullQueryResult = t.Object({
  file_name: t.Union([t.String(), t.Null()]),
  file_size: t.Union([u64, t.Null()]),
  final_url: t.String(),
  headers: t.Record(t.String(), t.Unknown()),
})
