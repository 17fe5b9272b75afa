import { t } from 'elysia'
import { createSelectSchema } from 'drizzle-typebox'
import { Empty, Uuid } from 'hatchery'
import { userCommandSnippets, userServerGroups, userSshKeys } from './tables'

const K = createSelectSchema(userSshKeys).properties
const C = createSelectSchema(userCommandSnippets).properties
const G = createSelectSchema(userServerGroups).properties

export { Empty, Uuid }

/** `ApiUserSshKey` (spec 01 §5.7); the key itself is never returned. */
export const SshKey = t.Object({ uuid: K.uuid, name: K.name, fingerprint: K.fingerprint, created: K.created })

/** `CommandSnippet` (spec 01 §5.10). */
export const CommandSnippet = t.Object({ uuid: C.uuid, name: C.name, eggs: C.eggs, command: C.command, created: C.created })

/** `ServerGroup` (spec 01 §5.11). */
export const ServerGroup = t.Object({ uuid: G.uuid, name: G.name, order: G.order, server_order: G.server_order, created: G.created })

// ---------------------------------------------------------------- request fields

export const SshKeyName = t.String({ minLength: 3, maxLength: 31 })
export const PublicKey = t.String({
  minLength: 1,
  maxLength: 16384,
  description: 'One OpenSSH public key line: `ssh-ed25519 AAAA… comment` (ed25519, ecdsa, or rsa of at least 2048 bits)',
})
export const ImportProvider = t.Union([t.Literal('github'), t.Literal('gitlab'), t.Literal('launchpad')])
export const ImportUsername = t.String({ minLength: 3, maxLength: 31, pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$' })

export const SnippetName = t.String({ minLength: 1, maxLength: 31 })
export const SnippetEggs = t.Array(Uuid, { maxItems: 100, description: 'Egg UUIDs (not checked for existence)' })
export const SnippetCommand = t.String({ minLength: 1, maxLength: 1024 })

export const GroupName = t.String({ minLength: 2, maxLength: 31 })
export const ServerOrder = t.Array(Uuid, {
  maxItems: 100,
  description: 'Server UUIDs in display order (not checked against existing servers)',
})
export const GroupOrder = t.Array(Uuid, {
  maxItems: 25,
  description: 'Group UUIDs; each listed group gets its 1-based position as `order`',
})
