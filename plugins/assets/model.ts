import { t } from 'elysia'
import { MAX_NAME_BYTES } from './service/names'

/** `StorageAsset` (spec 02 §13): `name` is relative to the assets root, `url` public. */
export const StorageAsset = t.Object({
  name: t.String({ description: 'Path below the assets root, e.g. `images/logo.png`' }),
  url: t.String({
    description: 'Public URL: `<app.url>/assets/<name>` (filesystem) or `<public_url>/assets/<name>` (S3), each segment percent-encoded',
  }),
  size: t.Integer({ description: 'Bytes; 0 for a directory' }),
  is_directory: t.Boolean(),
  created: t.Date({ description: 'Last write of the file; the epoch for a directory' }),
})

export const Directory = t.String({
  maxLength: MAX_NAME_BYTES,
  default: '',
  description:
    'Directory below the assets root (`images/icons`); empty for the root. No `..`, `.`, backslash, control character or leading `/`.',
})

export const ListQuery = t.Object({
  page: t.Optional(t.Integer({ minimum: 1, description: 'Page number, from 1 (default 1).' })),
  per_page: t.Optional(t.Integer({ minimum: 1, maximum: 100, description: 'Items per page, 1–100 (default 10).' })),
  directory: t.Optional(Directory),
})

export const SearchBody = t.Object({
  per_page: t.Optional(t.Integer({ minimum: 1, maximum: 100, default: 25, description: 'Most results returned (default 25)' })),
  directory: t.Optional(Directory),
  search: t.String({ minLength: 1, maxLength: 128, description: 'Case-insensitive part of a file or directory name' }),
})

export const DeleteBody = t.Object({
  names: t.Array(t.String({ maxLength: MAX_NAME_BYTES }), { maxItems: 1000, description: 'Asset names (`images/logo.png`), at most 1000' }),
})
