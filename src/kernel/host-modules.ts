import * as typebox from '@sinclair/typebox'
import * as typeboxValue from '@sinclair/typebox/value'
import * as drizzle from 'drizzle-orm'
import * as pgCore from 'drizzle-orm/pg-core'
import * as drizzleTypebox from 'drizzle-typebox'
import * as elysia from 'elysia'
import * as hatchery from './index'

/**
 * The packages an external plugin imports without installing them, mapped to the host's own
 * module instances (one `Elysia` class, one `drizzle-orm` `sql`, one kernel), from source and in
 * the compiled binary alike. Read lazily: the kernel's index imports this module's importers.
 */
export const HOST_MODULES: Record<string, () => Record<string, unknown>> = {
  hatchery: () => hatchery,
  elysia: () => elysia,
  'drizzle-orm': () => drizzle,
  'drizzle-orm/pg-core': () => pgCore,
  'drizzle-typebox': () => drizzleTypebox,
  '@sinclair/typebox': () => typebox,
  '@sinclair/typebox/value': () => typeboxValue,
}
