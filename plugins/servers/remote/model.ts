import { t } from 'elysia'
import { RemoteServer } from '../wings/document-model'

/** Request and response shapes of `/api/remote` (spec 04 §3.2), as Wings sends and reads them. */
const Uuid = t.String({ format: 'uuid' })
const ScheduleUuid = t.Optional(t.Nullable(Uuid, { description: 'The schedule that made the change, when one did' }))

export const RemotePageQuery = t.Object({
  page: t.Optional(t.Integer({ minimum: 1, description: 'From 1 (default 1)' })),
  per_page: t.Optional(t.Integer({ minimum: 1, maximum: 100, description: '1–100 (default 25; Wings asks for 50)' })),
})

export const RemoteServerPage = t.Object({
  data: t.Array(RemoteServer),
  meta: t.Object({
    current_page: t.Integer(),
    last_page: t.Integer({ description: 'ceil(total / per_page); 0 when the node has no server' }),
    total: t.Integer(),
  }),
})

export const InstallationScript = t.Object({
  container_image: t.String(),
  entrypoint: t.String(),
  script: t.String(),
  environment: t.Record(t.String(), t.Unknown()),
})

export const InstallReport = t.Object({
  successful: t.Boolean(),
  reinstall: t.Optional(t.Boolean({ description: 'Sent by older Wings; ignored' })),
})

export const ActivityBatch = t.Object({
  data: t.Array(
    t.Object({
      server: Uuid,
      user: t.Optional(t.Nullable(Uuid)),
      schedule: t.Optional(t.Nullable(Uuid)),
      event: t.String({ minLength: 1, maxLength: 255 }),
      metadata: t.Optional(t.Unknown()),
      ip: t.Optional(t.Nullable(t.String({ maxLength: 64 }))),
      timestamp: t.String({ format: 'date-time' }),
    }),
    { maxItems: 10_000 },
  ),
})

export const SftpLogin = t.Object({
  type: t.UnionEnum(['password', 'public_key']),
  username: t.String({
    minLength: 1,
    maxLength: 512,
    description: '`<panel username>.<server>`: 8 hex digits of the server uuid, or the uuid',
  }),
  password: t.String({ maxLength: 16_384, description: 'The password; for `public_key`, the OpenSSH public key line' }),
})

export const SftpGrant = t.Object({
  user: Uuid,
  server: Uuid,
  permissions: t.Array(t.String(), { description: 'Spec 04 §2.6: owners and administrators get `*`' }),
  ignored_files: t.Array(t.String()),
})

export const StartupVariable = t.Object({
  env_variable: t.String({ minLength: 1, maxLength: 255 }),
  value: t.String({ maxLength: 4096 }),
  schedule_uuid: ScheduleUuid,
})
export const StartupCommand = t.Object({ command: t.String({ minLength: 1, maxLength: 1024 }), schedule_uuid: ScheduleUuid })
export const DockerImage = t.Object({ image: t.String({ minLength: 1, maxLength: 255 }), schedule_uuid: ScheduleUuid })
