import { SYSTEM_ACTOR, transaction, Uuid, type CliCommand } from 'hatchery'
import { Description, Flag, Name } from './model'
import { adminLocation, createLocation, locationAudit } from './service'

/** `panel locations …` */
export function locationsCli(): Record<string, CliCommand> {
  return {
    'locations create': {
      description: 'Create a location',
      options: {
        name: { type: 'string', required: true, schema: Name },
        description: { type: 'string', schema: Description },
        flag: { type: 'string', schema: Flag, description: 'Two-letter flag code' },
        'backup-configuration': { type: 'string', schema: Uuid, description: 'Uuid of the backup configuration' },
      },
      async run(ctx, { options }, io) {
        const o = options as Record<string, string | undefined>
        const row = await transaction(ctx.db, async (tx) => {
          const row = await createLocation(tx, {
            name: o.name!,
            description: o.description,
            flag: o.flag,
            backup_configuration_uuid: o['backup-configuration'],
          })
          await ctx.activity.admin(tx, SYSTEM_ACTOR, 'location:create', { ...locationAudit(row), source: 'cli' })
          return row
        })
        const location = await adminLocation(ctx.db, ctx.secrets, row)
        io.result(location, `created location ${location.name} (${location.uuid})`)
      },
    },
  }
}
