import { t } from 'elysia'
import { model as mountModel } from '../mounts'

const Uuid = t.String({ format: 'uuid' })
const Attached = t.Nullable(t.Date({ description: 'When the mount was attached; null when it is not' }))

/** The client `ServerMount` (spec 03 §5.5): the mount's fields and its attach time. */
export const ClientServerMount = t.Object({
  uuid: Uuid,
  name: t.String(),
  description: t.Nullable(t.String()),
  target: t.String(),
  read_only: t.Boolean(),
  created: Attached,
})

/** The admin `ServerMount` (spec 02 §2.14): `{mount, created}`. */
export const AdminServerMount = t.Object({ mount: mountModel.Mount, created: Attached })

export const AttachMount = t.Object({ mount_uuid: Uuid })
