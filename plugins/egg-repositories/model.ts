import { t, type Static } from 'elysia'
import { createSelectSchema } from 'drizzle-typebox'
import { Uuid } from 'hatchery'
import { ExportedEgg } from '../nests'
import { eggRepositories, eggRepositoryEggs } from './tables'

const R = createSelectSchema(eggRepositories).properties
const E = createSelectSchema(eggRepositoryEggs).properties

/** What a secret reads as: `""`, as the reference censors it. */
export const CENSORED = ''

/** `AdminApiEggRepository` (spec 02 §7.8); the password reads as `""`. */
export const EggRepository = t.Object({
  uuid: R.uuid,
  name: R.name,
  description: t.Nullable(t.String()),
  git_repository: R.git_repository,
  credentials: t.Union([
    t.Object({ type: t.Literal('none') }),
    t.Object({
      type: t.Literal('password'),
      username: t.String(),
      password: t.Literal(CENSORED, { description: 'Always `""`: write-only' }),
    }),
  ]),
  last_synced: t.Nullable(t.Date()),
  created: R.created,
})

const Username = t.String({ minLength: 1, maxLength: 255 })

/** Credentials as written; on PATCH a `password` of `""` keeps the stored one (a client sending the object back as read). */
const credentialsInput = (passwordMin: number) =>
  t.Union(
    [
      t.Object({ type: t.Literal('none') }),
      t.Object({ type: t.Literal('password'), username: Username, password: t.String({ minLength: passwordMin, maxLength: 255 }) }),
      t.Object({
        type: t.Literal('private_key'),
        username: Username,
        private_key: t.String({ minLength: 1, maxLength: 16384 }),
        passphrase: t.Optional(t.Nullable(t.String({ minLength: 1, maxLength: 255 }))),
      }),
    ],
    {
      description:
        '`none`, or `password` (https only: never sent over plain http). `private_key` goes with ssh URLs, which this panel does not clone: it is a 400.',
    },
  )

const GIT_REPOSITORY =
  'An `https://` (or `http://`) git URL. Hatchery extension: an absolute path or a `file://` URL of a repository on the panel host, when the setting `egg_repositories.allow_local` is on. ssh URLs are refused (400).'

export const CreateEggRepository = t.Object({
  name: t.String({ minLength: 1, maxLength: 255 }),
  description: t.Optional(t.Nullable(t.String({ maxLength: 1024 }))),
  git_repository: t.String({ minLength: 1, maxLength: 2048, description: GIT_REPOSITORY }),
  credentials: t.Optional(credentialsInput(1)),
})

export const UpdateEggRepository = t.Object({
  name: t.Optional(t.String({ minLength: 1, maxLength: 255 })),
  description: t.Optional(t.Nullable(t.String({ maxLength: 1024 }))),
  git_repository: t.Optional(t.String({ minLength: 1, maxLength: 2048, description: GIT_REPOSITORY })),
  credentials: t.Optional(credentialsInput(0)),
})

export type ExportedEggDoc = Static<typeof ExportedEgg>

/** `AdminApiEggRepositoryEgg`: an egg a sync found, in the Calagopus export format whatever its file's format. */
export const EggRepositoryEgg = t.Object({
  uuid: E.uuid,
  path: t.String({ description: 'The file, relative to the repository root' }),
  readme: t.Nullable(t.String({ description: 'The nearest README above the file' })),
  exported_egg: ExportedEgg,
  updated: t.Date({ description: 'When a sync last found this egg changed' }),
})

/** `egg_repository_egg` of an `AdminNestEgg`: the repository egg with its repository. */
export const EggEggRepositoryEgg = t.Object({ ...EggRepositoryEgg.properties, egg_repository: EggRepository })

export const InstallEggs = t.Object({
  egg_uuids: t.Array(Uuid, { maxItems: 500 }),
  nest_uuid: Uuid,
})
export const InstallEgg = t.Object({ nest_uuid: Uuid })
