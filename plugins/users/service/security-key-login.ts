import { and, eq, gt, isNotNull, or, sql } from 'drizzle-orm'
import type { AuthenticatorTransportFuture } from '@simplewebauthn/server'
import { webauthn } from './webauthn'
import { BadRequest, NotFound, type Db, type SettingsSnapshot, type Tx } from 'hatchery'
import { userSecurityKeyChallenges, userSecurityKeys, users } from '../tables'
import { relyingParty, toBase64Url, userHandleOf } from './security-keys'

const FAILED = 'failed to finish security key authentication'

/**
 * Starts a security-key login: request options for `navigator.credentials.get` and a stored,
 * single-use challenge (`webauthn.authentication_timeout_seconds`). With `login` (username or
 * email, case-insensitive) the options list that user's registered keys; an unknown user or one
 * without keys gets the same answer with an empty `allowCredentials` after the same two queries,
 * so the answer tells nothing about who exists (the frontend then asks for the password).
 * Without `login` it is a discoverable (usernameless) login: any resident key of this RP answers.
 */
export async function startSecurityKeyLogin(db: Db, settings: SettingsSnapshot, login: string | null) {
  const rp = relyingParty(settings)
  const keys =
    login === null
      ? []
      : await db
          .select({ id: userSecurityKeys.credential_id, transports: userSecurityKeys.transports, user_uuid: userSecurityKeys.user_uuid })
          .from(userSecurityKeys)
          .innerJoin(users, eq(users.uuid, userSecurityKeys.user_uuid))
          .where(
            and(
              isNotNull(userSecurityKeys.credential_id),
              or(eq(sql`lower(${users.email})`, login.toLowerCase()), eq(sql`lower(${users.username})`, login.toLowerCase())),
            ),
          )
  const timeout = settings.get('webauthn.authentication_timeout_seconds')
  const publicKey = await (
    await webauthn()
  ).generateAuthenticationOptions({
    rpID: rp.id,
    allowCredentials: keys.map((k) => ({ id: k.id!, transports: k.transports as AuthenticatorTransportFuture[] })),
    timeout: timeout * 1000,
    userVerification: 'required',
  })
  const [row] = await db
    .insert(userSecurityKeyChallenges)
    .values({
      challenge: publicKey.challenge,
      user_uuids: login === null ? null : [...new Set(keys.map((k) => k.user_uuid))],
      expires: new Date(Date.now() + timeout * 1000),
    })
    .returning({ uuid: userSecurityKeyChallenges.uuid })
  return { uuid: row.uuid, options: { publicKey: { ...publicKey, allowCredentials: publicKey.allowCredentials ?? [] } } }
}

/** The assertion the browser returned (`navigator.credentials.get`), as the frontend serialises it (base64 or base64url). */
export interface AssertionCredential {
  rawId: string
  response: { clientDataJSON: string; authenticatorData: string; signature: string; userHandle?: string | null }
}

/**
 * Checks an assertion against a stored challenge and returns the user and key it proves.
 *
 * The challenge is deleted first (`DELETE … RETURNING`: whoever gets the row owns it), so it
 * answers once, right or wrong. Then the key must be registered, belong to one of the users the
 * challenge was issued for (username-first) or to the user its handle names (discoverable), and
 * the signature, RP id hash, origin, user verification and counter must hold. The new counter is
 * claimed by a conditional update inside `tx` (the caller's session transaction): a cloned
 * authenticator racing with an older counter finds no row.
 */
export async function verifySecurityKeyLogin(
  db: Db,
  settings: SettingsSnapshot,
  challengeUuid: string,
  credential: AssertionCredential,
  discoverable: boolean,
) {
  const [challenge] = await db
    .delete(userSecurityKeyChallenges)
    .where(and(eq(userSecurityKeyChallenges.uuid, challengeUuid), gt(userSecurityKeyChallenges.expires, sql`now()`)))
    .returning()
  if (!challenge || (challenge.user_uuids === null) !== discoverable) throw new BadRequest('invalid or expired challenge')
  const id = toBase64Url(credential.rawId)
  const [key] = await db
    .select()
    .from(userSecurityKeys)
    .where(and(eq(userSecurityKeys.credential_id, id), isNotNull(userSecurityKeys.public_key)))
    .limit(1)
  if (!key) throw new NotFound('user not found')
  const handle = credential.response.userHandle ? toBase64Url(credential.response.userHandle) : null
  if (discoverable) {
    if (handle !== Buffer.from(userHandleOf(key.user_uuid)).toString('base64url')) throw new BadRequest(FAILED)
  } else if (!challenge.user_uuids!.includes(key.user_uuid)) {
    throw new BadRequest(FAILED)
  }
  const rp = relyingParty(settings)
  const verified = await (
    await webauthn()
  )
    .verifyAuthenticationResponse({
      response: {
        id,
        rawId: id,
        type: 'public-key',
        response: {
          clientDataJSON: toBase64Url(credential.response.clientDataJSON),
          authenticatorData: toBase64Url(credential.response.authenticatorData),
          signature: toBase64Url(credential.response.signature),
          userHandle: handle ?? undefined,
        },
        clientExtensionResults: {},
      },
      expectedChallenge: challenge.challenge,
      expectedOrigin: rp.origin,
      expectedRPID: rp.id,
      credential: {
        id,
        publicKey: new Uint8Array(Buffer.from(key.public_key!, 'base64url')),
        counter: key.counter,
        transports: key.transports as AuthenticatorTransportFuture[],
      },
      requireUserVerification: true,
    })
    .catch(() => null)
  if (!verified?.verified) throw new BadRequest(FAILED)
  const counter = verified.authenticationInfo.newCounter
  return {
    userUuid: key.user_uuid,
    keyUuid: key.uuid,
    /** Records the use; throws when another login already moved the counter past this one. */
    async claim(tx: Tx): Promise<void> {
      const [done] = await tx
        .update(userSecurityKeys)
        .set({ counter, last_used: sql`now()` })
        .where(
          and(
            eq(userSecurityKeys.uuid, key.uuid),
            counter === 0 ? eq(userSecurityKeys.counter, 0) : sql`${userSecurityKeys.counter} < ${counter}`,
          ),
        )
        .returning({ uuid: userSecurityKeys.uuid })
      if (!done) throw new BadRequest(FAILED)
    },
  }
}
