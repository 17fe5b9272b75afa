import { t } from 'elysia'

/**
 * A uuid on the wire (`format: uuid`): path parameters checked by the framework, uuid fields of
 * bodies and responses.
 * @example params: t.Object({ ssh_key: Uuid })
 */
export const Uuid = t.String({ format: 'uuid' })

/**
 * The `{}` answer of PATCH and DELETE routes.
 * @example response: { 200: Empty }
 */
export const Empty = t.Object({})
