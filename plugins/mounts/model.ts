import { t } from 'elysia'
import { createSelectSchema } from 'drizzle-typebox'
import { mounts } from './tables'

const M = createSelectSchema(mounts).properties

/** `Mount` (spec 02 §2.14). */
export const Mount = t.Object({
  uuid: M.uuid,
  name: t.String(),
  description: t.Nullable(t.String()),
  source: t.String(),
  target: t.String(),
  read_only: t.Boolean(),
  user_mountable: t.Boolean(),
  created: M.created,
})

export const Name = t.String({ minLength: 1, maxLength: 255 })
export const Description = t.Nullable(t.String({ minLength: 1, maxLength: 1024 }))
export const MountPath = (where: string) =>
  t.String({
    minLength: 1,
    maxLength: 255,
    description: `An absolute path ${where}: no \`.\` or \`..\` segments, not \`/\`, no control characters`,
  })
export const Source = MountPath("on the node's host; not the panel's data folder, inside it or above it")
export const Target = MountPath('inside the server container')

export const CreateMount = t.Object({
  name: Name,
  description: t.Optional(Description),
  source: Source,
  target: Target,
  read_only: t.Boolean(),
  user_mountable: t.Boolean(),
})
export const UpdateMount = t.Partial(CreateMount)
export const DuplicateMount = t.Object({ name: Name, source: Source, target: Target })

/** The link lists answer pages of `{node|server|nest, nest_egg, created}` once those plugins exist. */
const Linked = t.Record(t.String(), t.Unknown(), { description: 'Filled once the owning plugin exists' })
export const MountNode = t.Object({ node: Linked, created: M.created })
export const MountNestEgg = t.Object({ nest: Linked, nest_egg: Linked, created: M.created })
export const MountServer = t.Object({ server: Linked, created: M.created })
