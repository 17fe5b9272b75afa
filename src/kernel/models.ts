import { t } from 'elysia'
import { Type, type IntegerOptions } from '@sinclair/typebox'

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

/**
 * An integer in a response model (the same JSON Schema as `t.Integer`). Elysia's `t.Integer` is a
 * transform, so that `"12"` in a query or body becomes 12; a single transform anywhere in a route's
 * response makes Elysia run TypeBox's generic `Encode` walker over every answer instead of its
 * compiled check, which on a page of rows costs more than building the page. Keep `t.Integer`
 * for what a caller sends.
 * @example const Page = t.Object({ total: WireInteger(), data: t.Array(Item) })
 */
export const WireInteger = (options?: IntegerOptions) => Type.Integer(options)
