import { and, asc, eq, isNotNull, isNull, lt, sql } from 'drizzle-orm'
import type { AuthenticatorTransportFuture } from '@simplewebauthn/server'
import { webauthn } from './webauthn'
import {
  BadRequest,
  Conflict,
  LimitExceeded,
  loadOr404,
  paginate,
  type ActivityLogs,
  type Actor,
  type Db,
  type PageParams,
  type SettingsSnapshot,
  type Tx,
} from 'hatchery'
import { userSecurityKeyChallenges, userSecurityKeys, type users } from '../tables'
import { userTransaction } from './users'

export type SecurityKeyRow = typeof userSecurityKeys.$inferSelect

/** Where a WebAuthn ceremony must happen: the relying party's id, the page origin, its display name. */
export interface RelyingParty {
  id: string
  origin: string
  name: string
}

/**
 * `webauthn.rp_id` / `webauthn.rp_origin` when an admin stored them, else the host and origin of
 * `app.url` (the reference's fixed `localhost` defaults would refuse every panel not on localhost).
 */
export function relyingParty(settings: SettingsSnapshot): RelyingParty {
  const app = new URL(settings.get('app.url'))
  return {
    id: settings.isSet('webauthn.rp_id') ? settings.get('webauthn.rp_id') : app.hostname,
    origin: settings.isSet('webauthn.rp_origin') ? new URL(settings.get('webauthn.rp_origin')).origin : app.origin,
    name: settings.get('app.name'),
  }
}

/** 400 `security keys are disabled` unless `webauthn.enabled`. */
export function assertSecurityKeysEnabled(settings: SettingsSnapshot): void {
  if (!settings.get('webauthn.enabled')) throw new BadRequest('security keys are disabled')
}

/** base64 or base64url (the official frontend sends `btoa` output) → base64url without padding. */
export const toBase64Url = (value: string) => value.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')

/** The WebAuthn user handle: the user's uuid as its 16 bytes (as the reference does). */
export const userHandleOf = (uuid: string) => new Uint8Array(Buffer.from(uuid.replace(/-/g, ''), 'hex'))

/** The wire `SecurityKey` (spec 01 §5.8): `credential_id` is `""` while registration is pending. */
export const toSecurityKey = (r: SecurityKeyRow) => ({
  uuid: r.uuid,
  name: r.name,
  credential_id: r.credential_id ?? '',
  last_used: r.last_used,
  created: r.created,
})

const ofUser = (userUuid: string) => eq(userSecurityKeys.user_uuid, userUuid)
const registered = isNotNull(userSecurityKeys.credential_id)
const ownedKey = (db: Db | Tx, userUuid: string, uuid: string) =>
  loadOr404(db, userSecurityKeys, userSecurityKeys.uuid, uuid, 'security key', { where: ofUser(userUuid) })
const isExpired = (row: SecurityKeyRow, timeoutSeconds: number) => row.created.getTime() + timeoutSeconds * 1000 < Date.now()

/** A user's registered keys, oldest first; `search` matches the name. */
export function listSecurityKeys(db: Db | Tx, userUuid: string, page: PageParams) {
  return paginate(
    db,
    {
      from: userSecurityKeys,
      where: and(ofUser(userUuid), registered),
      search: [userSecurityKeys.name],
      orderBy: [asc(userSecurityKeys.created), asc(userSecurityKeys.uuid)],
      map: toSecurityKey,
    },
    page,
  )
}

export interface RegistrationRequest {
  name: string
  allow_usernameless_login?: boolean
}

/**
 * Starts registering a key: the creation options for `navigator.credentials.create` and a
 * pending row holding the challenge. A pending key of the same name is replaced; pending keys
 * count towards `user.max_security_key_count` (417). User verification is required (a passkey
 * stands for both factors); a resident key only when asked for and `webauthn.allow_discoverable`.
 */
export async function beginRegistration(db: Db, settings: SettingsSnapshot, user: typeof users.$inferSelect, request: RegistrationRequest) {
  assertSecurityKeysEnabled(settings)
  const rp = relyingParty(settings)
  const resident = (request.allow_usernameless_login ?? false) && settings.get('webauthn.allow_discoverable')
  const existing = await db
    .select({ id: userSecurityKeys.credential_id, transports: userSecurityKeys.transports })
    .from(userSecurityKeys)
    .where(and(ofUser(user.uuid), registered))
  const publicKey = await (
    await webauthn()
  ).generateRegistrationOptions({
    rpName: rp.name,
    rpID: rp.id,
    userID: userHandleOf(user.uuid),
    userName: user.email,
    userDisplayName: user.username,
    timeout: settings.get('webauthn.registration_timeout_seconds') * 1000,
    attestationType: 'none',
    excludeCredentials: existing.map((k) => ({ id: k.id!, transports: k.transports as AuthenticatorTransportFuture[] })),
    authenticatorSelection: {
      residentKey: resident ? 'required' : 'discouraged',
      requireResidentKey: resident,
      userVerification: 'required',
    },
    supportedAlgorithmIDs: [-7, -257],
  })
  const max = settings.get('user.max_security_key_count')
  const row = await userTransaction(db, user.uuid, async (tx) => {
    await tx
      .delete(userSecurityKeys)
      .where(and(ofUser(user.uuid), eq(userSecurityKeys.name, request.name), isNull(userSecurityKeys.credential_id)))
    if ((await tx.$count(userSecurityKeys, ofUser(user.uuid))) >= max) throw new LimitExceeded('maximum number of security keys reached')
    const [row] = await tx
      .insert(userSecurityKeys)
      .values({ user_uuid: user.uuid, name: request.name, registration: { challenge: publicKey.challenge, resident_key: resident } })
      .returning()
    return row
  })
  return { security_key: toSecurityKey(row), options: { publicKey } }
}

/** The attestation the browser returned (`navigator.credentials.create`), as the frontend serialises it. */
export interface RegistrationCredential {
  rawId: string
  response: { clientDataJSON: string; attestationObject: string; transports?: string[] }
}

/**
 * Finishes a registration: checks the attestation against the pending challenge, RP id and
 * origin, then stores the credential id, public key and counter; the challenge is spent by the
 * same conditional update, so a replayed attestation finds nothing to finish. Returns the
 * credential id (base64url).
 */
export async function finishRegistration(
  db: Db,
  log: ActivityLogs,
  actor: Actor,
  settings: SettingsSnapshot,
  uuid: string,
  credential: RegistrationCredential,
): Promise<string> {
  assertSecurityKeysEnabled(settings)
  const row = await ownedKey(db, actor.userUuid, uuid)
  if (row.credential_id !== null || !row.registration) throw new Conflict('security key already setup')
  if (isExpired(row, settings.get('webauthn.registration_timeout_seconds'))) {
    await db.delete(userSecurityKeys).where(and(eq(userSecurityKeys.uuid, row.uuid), isNull(userSecurityKeys.credential_id)))
    throw new BadRequest('invalid or expired challenge')
  }
  const rp = relyingParty(settings)
  const id = toBase64Url(credential.rawId)
  const verified = await (
    await webauthn()
  )
    .verifyRegistrationResponse({
      response: {
        id,
        rawId: id,
        type: 'public-key',
        response: {
          clientDataJSON: toBase64Url(credential.response.clientDataJSON),
          attestationObject: toBase64Url(credential.response.attestationObject),
          transports: credential.response.transports as AuthenticatorTransportFuture[] | undefined,
        },
        clientExtensionResults: {},
      },
      expectedChallenge: row.registration.challenge,
      expectedOrigin: rp.origin,
      expectedRPID: rp.id,
      requireUserVerification: true,
    })
    .catch(() => null)
  if (!verified?.verified) throw new BadRequest('failed to finish security key registration')
  const stored = verified.registrationInfo.credential
  return userTransaction(db, actor.userUuid, async (tx) => {
    const [done] = await tx
      .update(userSecurityKeys)
      .set({
        credential_id: stored.id,
        public_key: Buffer.from(stored.publicKey).toString('base64url'),
        counter: stored.counter,
        transports: (stored.transports ?? credential.response.transports ?? []).slice(0, 10),
        registration: null,
      })
      .where(
        and(
          eq(userSecurityKeys.uuid, row.uuid),
          isNull(userSecurityKeys.credential_id),
          sql`${userSecurityKeys.registration}->>'challenge' = ${row.registration!.challenge}`,
        ),
      )
      .returning()
    if (!done) throw new BadRequest('invalid or expired challenge')
    await log.user(tx, actor, 'security-key:create', { uuid: done.uuid, name: done.name })
    return stored.id
  })
}

/** Renames a registered key (a pending one is a 400). */
export async function renameSecurityKey(db: Db, log: ActivityLogs, actor: Actor, uuid: string, changes: { name?: string }): Promise<void> {
  await userTransaction(db, actor.userUuid, async (tx) => {
    let row = await ownedKey(tx, actor.userUuid, uuid)
    if (row.credential_id === null) throw new BadRequest('security key not setup yet')
    if (changes.name !== undefined && changes.name !== row.name) {
      ;[row] = await tx.update(userSecurityKeys).set({ name: changes.name }).where(eq(userSecurityKeys.uuid, row.uuid)).returning()
    }
    await log.user(tx, actor, 'user:security-key.update', { uuid: row.uuid, name: row.name })
  })
}

/** Deletes a key, pending or not; only a registered key leaves an activity entry. */
export async function deleteSecurityKey(db: Db, log: ActivityLogs, actor: Actor, uuid: string): Promise<void> {
  await userTransaction(db, actor.userUuid, async (tx) => {
    const row = await ownedKey(tx, actor.userUuid, uuid)
    await tx.delete(userSecurityKeys).where(eq(userSecurityKeys.uuid, row.uuid))
    if (row.credential_id !== null) await log.user(tx, actor, 'security-key:delete', { uuid: row.uuid, name: row.name })
  })
}

/** Removes pending registrations older than the timeout and expired login challenges (a job). */
export async function purgeSecurityKeyChallenges(db: Db, registrationTimeoutSeconds: number): Promise<void> {
  await db
    .delete(userSecurityKeys)
    .where(
      and(
        isNull(userSecurityKeys.credential_id),
        lt(userSecurityKeys.created, sql`now() - make_interval(secs => ${registrationTimeoutSeconds})`),
      ),
    )
  await db.delete(userSecurityKeyChallenges).where(lt(userSecurityKeyChallenges.expires, sql`now()`))
}
