import { t } from 'elysia'
import { createSelectSchema } from 'drizzle-typebox'
import { Uuid } from 'hatchery'
import { model as backupModel } from '../backup-configurations'
import { model as hostModel } from '../database-hosts'
import { locationDatabaseHosts, locations } from './tables'

const L = createSelectSchema(locations).properties
const LH = createSelectSchema(locationDatabaseHosts).properties

/** `AdminApiLocation` (spec 02 §2.4): the backup configuration whole (secrets masked) or null. */
export const Location = t.Object({
  uuid: L.uuid,
  backup_configuration: t.Nullable(backupModel.BackupConfiguration),
  name: t.String(),
  description: t.Nullable(t.String()),
  flag: t.Nullable(t.String()),
  created: L.created,
})

export const Name = t.String({ minLength: 1, maxLength: 255 })
export const Description = t.Nullable(t.String({ minLength: 1, maxLength: 1024 }))
export const Flag = t.Nullable(
  t.String({
    minLength: 2,
    maxLength: 2,
    description: 'Two characters (a country code); stored lowercase, which the official frontend requires when it reads one',
  }),
)

export const CreateLocation = t.Object({
  backup_configuration_uuid: t.Optional(t.Nullable(Uuid)),
  name: Name,
  description: t.Optional(Description),
  flag: t.Optional(Flag),
})
export const UpdateLocation = t.Partial(CreateLocation)
export const DuplicateLocation = t.Object({ name: Name })

/** `LocationDatabaseHost` (spec 02 §2.15): the host with its credentials censored. */
export const LocationDatabaseHost = t.Object({ database_host: hostModel.DatabaseHost, created: LH.created })
export const AddDatabaseHost = t.Object({ database_host_uuid: Uuid })
